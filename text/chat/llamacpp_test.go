package chat

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
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
	n := 0
	for _, f := range files {
		src, err := os.ReadFile(f) //nolint:gosec // a file of the named tree
		require.NoError(t, err)
		tmpl, err := New(string(src), toks)
		if !assert.NoError(t, err, filepath.Base(f)) {
			continue
		}
		out, err := tmpl.RenderJSON(req)
		if assert.NoError(t, err, filepath.Base(f)) && assert.Contains(t, out, "Bye", filepath.Base(f)) {
			n++
		}
	}
	t.Logf("%d of %d llama.cpp templates render", n, len(files))
}
