package chat

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// llama.cpp's collection of real chat templates (models/templates in its
// sources; not kept in this repository) renders a plain conversation
// without error. Point LBRX_LLAMA_CPP at a llama.cpp source tree (see
// ../shared/tools/README.md for getting one).
func TestLlamaCppTemplatesRender(t *testing.T) {
	root := os.Getenv("LBRX_LLAMA_CPP")
	if root == "" {
		t.Skip("set LBRX_LLAMA_CPP to a llama.cpp source tree to render the templates in its models/templates folder")
	}
	files, err := filepath.Glob(filepath.Join(root, "models", "templates", "*.jinja"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "no *.jinja in %s/models/templates", root)
	toks := map[string]string{"bos_token": "<s>", "eos_token": "</s>"}
	req := []byte(`{"messages": [{"role": "user", "content": "Hello"}, {"role": "assistant", "content": "Hi there"}, {"role": "user", "content": "Bye"}], "add_generation_prompt": true}`)
	render := func(f string) error {
		src, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		tmpl, err := New(string(src), toks)
		if err != nil {
			return err
		}
		out, err := tmpl.RenderJSON(req)
		if err != nil {
			return err
		}
		if !strings.Contains(out, "Bye") {
			return fmt.Errorf("the last message is not in the render %q", out)
		}
		return nil
	}
	n := 0
	for _, f := range files {
		if err := render(f); err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
			continue
		}
		n++
	}
	t.Logf("%d of %d llama.cpp templates render", n, len(files))
}
