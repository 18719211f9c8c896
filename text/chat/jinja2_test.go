package chat

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// knownDifferences are the renders of llama.cpp's templates (de3ff815)
// where the engine and Jinja2 disagree on text, by template and
// conversation (testdata/conversations.json), with why.
var knownDifferences = map[string]map[int]string{
	"Apriel-1.6-15b-Thinker-fixed.jinja":                  {4: "a whole float prints as 1, Python's str gives 1.0"},
	"unsloth-Apriel-1.5.jinja":                            {4: "a whole float prints as 1, Python's str gives 1.0"},
	"GigaChat3-10B-A1.8B.jinja":                           {4: "a whole float prints as 1, Python's str gives 1.0"},
	"GigaChat3.1-10B-A1.8B.jinja":                         {4: "a whole float prints as 1, Python's str gives 1.0"},
	"meetkai-functionary-medium-v3.2.jinja":               {4: "a whole float prints as 1, Python's str gives 1.0"},
	"NousResearch-Hermes-2-Pro-Llama-3-8B-tool_use.jinja": {4: "Jinja2's Undefined is iterable (empty), the engine's is not"},
	"NousResearch-Hermes-3-Llama-3.1-8B-tool_use.jinja":   {4: "Jinja2's Undefined is iterable (empty), the engine's is not"},
	"meetkai-functionary-medium-v3.1.jinja": {
		3: "a |safe string plus plain text is HTML-escaped by MarkupSafe",
		4: "a |safe string plus plain text is HTML-escaped by MarkupSafe",
	},
}

// Differential test against Jinja2 configured as transformers configures
// it (testdata/jinja2_render.py) on llama.cpp's real templates: every
// render Jinja2 produces is produced byte for byte, but for the known
// differences above; templates Jinja2 rejects for a conversation (it is
// stricter: None is not iterable, str + list raises, the sandbox refuses
// list.append) are counted. Needs LBRX_LLAMA_CPP (a llama.cpp source
// tree) and python3 with jinja2.
func TestMatchesJinja2(t *testing.T) {
	root := os.Getenv("LBRX_LLAMA_CPP")
	if root == "" {
		t.Skip("set LBRX_LLAMA_CPP to a llama.cpp source tree to compare the templates in its models/templates folder with Jinja2")
	}
	if err := exec.Command("python3", "-c", "import jinja2").Run(); err != nil {
		t.Skipf("python3 with jinja2 is not available: %v", err)
	}
	files, err := filepath.Glob(filepath.Join(root, "models", "templates", "*.jinja"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	convPath := filepath.Join("testdata", "conversations.json")
	cmd := exec.Command("python3", append([]string{filepath.Join("testdata", "jinja2_render.py"), convPath}, files...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, stderr.String())
	var want map[string][]struct {
		Text  *string `json:"text"`
		Error string  `json:"error"`
	}
	require.NoError(t, json.Unmarshal(out, &want))
	b, err := os.ReadFile(convPath)
	require.NoError(t, err)
	var convs []json.RawMessage
	require.NoError(t, json.Unmarshal(b, &convs))

	var same, bothFail, lenient, known int
	for _, f := range files {
		name := filepath.Base(f)
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		tmpl, compileErr := New(string(src), map[string]string{"bos_token": "<s>", "eos_token": "</s>"})
		require.Len(t, want[name], len(convs), name)
		for i, c := range convs {
			got, err := "", compileErr
			if err == nil {
				got, err = tmpl.RenderJSON(c)
			}
			w := want[name][i]
			switch {
			case w.Text == nil && err != nil:
				bothFail++
			case w.Text == nil:
				lenient++
				t.Logf("%s, conversation %d: Jinja2 raises %s; rendered here", name, i, w.Error)
			case err != nil:
				t.Errorf("%s, conversation %d: %v (Jinja2 renders it)", name, i, err)
			case got == *w.Text:
				same++
			case knownDifferences[name][i] != "":
				known++
			default:
				assert.Equal(t, *w.Text, got, "%s, conversation %d", name, i)
			}
		}
	}
	t.Logf("%d templates x %d conversations: %d identical, %d known differences, %d rejected by both, %d rejected by Jinja2 only",
		len(files), len(convs), same, known, bothFail, lenient)
}
