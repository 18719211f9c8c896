package chat

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core/testfiles"
)

// renderCase is one line of the shared chat references: the request
// (every key but "text") and transformers' render.
type renderCase struct {
	request []byte
	text    string
}

func readCases(t *testing.T, path string) []renderCase {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer func() { _ = f.Close() }()
	var out []renderCase
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var line map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(sc.Bytes(), &line))
		var text string
		require.NoError(t, json.Unmarshal(line["text"], &text))
		delete(line, "text")
		req, err := json.Marshal(line) // keys sorted: order of the request's own keys does not matter
		require.NoError(t, err)
		out = append(out, renderCase{req, text})
	}
	require.NoError(t, sc.Err())
	require.NotEmpty(t, out, path)
	return out
}

// sharedReferences lists (template path, renders path) for every chat
// render transformers made in the shared test data.
func sharedReferences(t *testing.T) [][2]string {
	var refs [][2]string
	for _, n := range []string{"llama3_1", "qwen3", "gemma3"} {
		cfg := testfiles.Path(t, "tokenizers", n, "tokenizer_config.json")
		if _, err := os.Stat(cfg); err != nil {
			cfg += ".gz" // Gemma 3's is stored gzipped
		}
		refs = append(refs, [2]string{cfg, testfiles.Path(t, "chat", n+".jsonl")})
	}
	dirs, err := filepath.Glob(filepath.Join(testfiles.Path(t, "chat", "templates"), "*"))
	require.NoError(t, err)
	require.Len(t, dirs, 6)
	for _, d := range dirs {
		refs = append(refs, [2]string{d, filepath.Join(d, "renders.jsonl")})
	}
	return refs
}

// Every render in the shared references matches transformers byte for
// byte.
func TestRendersMatchTransformers(t *testing.T) {
	n := 0
	for _, ref := range sharedReferences(t) {
		tmpl, err := Load(ref[0])
		require.NoError(t, err)
		for i, c := range readCases(t, ref[1]) {
			got, err := tmpl.RenderJSON(c.request)
			require.NoError(t, err, "%s line %d", ref[1], i+1)
			require.Equal(t, c.text, got, "%s line %d", ref[1], i+1)
			n++
		}
	}
	assert.Equal(t, 46, n)
}

func TestRenderTypedMessages(t *testing.T) {
	tmpl, err := Load(testfiles.Path(t, "tokenizers", "qwen3", "tokenizer_config.json"))
	require.NoError(t, err)
	got, err := tmpl.Render(Request{Messages: []Message{{"user", "Hello!"}}, AddGenerationPrompt: true})
	require.NoError(t, err)
	assert.Equal(t, "<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\n", got)
}

// The semantics transformers gives a template, one at a time.
func TestTransformersSemantics(t *testing.T) {
	for _, c := range []struct{ name, src, req, want, err string }{
		{name: "special tokens", src: `{{ bos_token }}|{{ eos_token }}|{{ unk_token }}`, req: `{"messages": []}`, want: "<s>|</s>|"},
		{name: "tools is defined and none", src: `{{ tools is defined }} {{ tools is none }} {{ documents is none }}`, req: `{"messages": []}`, want: "True True True"},
		{name: "add_generation_prompt defaults to false", src: `{{ add_generation_prompt }}`, req: `{"messages": []}`, want: "False"},
		{name: "extra keyword", src: `{{ enable_thinking }}`, req: `{"messages": [], "enable_thinking": false}`, want: "False"},
		{name: "tojson keeps key order", src: `{{ tools[0] | tojson }}`, req: `{"messages": [], "tools": [{"z": 1, "a": [2.5, "é<&>"], "m": null}]}`, want: `{"z": 1, "a": [2.5, "é<&>"], "m": null}`},
		{name: "raise_exception", src: `{{ raise_exception('Only user and assistant roles') }}`, req: `{"messages": []}`, err: "Only user and assistant roles"},
		{name: "trim_blocks and lstrip_blocks", src: "{% for m in messages %}\n  {% if m.role == 'user' %}\n[{{ m.content | trim }}]\n  {% endif %}\n{% endfor %}", req: `{"messages": [{"role": "user", "content": " hi "}]}`, want: "[hi]\n"},
		{name: "namespace and loop", src: `{% set ns = namespace(n=0) %}{% for m in messages %}{% set ns.n = ns.n + loop.index %}{% endfor %}{{ ns.n }}`, req: `{"messages": [{}, {}, {}]}`, want: "6"},
		{name: "string methods and slices", src: `{{ messages[-1].content.split('</think>')[-1].lstrip('\n') }}|{{ messages[::-1][0].role }}`, req: `{"messages": [{"role": "a", "content": "x"}, {"role": "b", "content": "<think>r</think>\n\nans"}]}`, want: "ans|b"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tmpl, err := New(c.src, map[string]string{"bos_token": "<s>", "eos_token": "</s>"})
			require.NoError(t, err)
			got, err := tmpl.RenderJSON([]byte(c.req))
			if c.err != "" {
				require.ErrorContains(t, err, c.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, c.want, got)
		})
	}
}

func TestNamedTemplates(t *testing.T) {
	dir := t.TempDir()
	cfg := `{"bos_token": {"content": "<B>", "lstrip": false}, "eos_token": "<E>", "pad_token": null,
	  "chat_template": [{"name": "default", "template": "D{{ bos_token }}"}, {"name": "tool_use", "template": "T{{ tools | length }}{{ eos_token }}"}]}`
	p := filepath.Join(dir, "tokenizer_config.json")
	require.NoError(t, os.WriteFile(p, []byte(cfg), 0o600))
	tmpl, err := Load(p)
	require.NoError(t, err)
	assert.Equal(t, []string{"default", "tool_use"}, tmpl.Names())
	got, err := tmpl.RenderJSON([]byte(`{"messages": []}`))
	require.NoError(t, err)
	assert.Equal(t, "D<B>", got)
	got, err = tmpl.RenderJSON([]byte(`{"messages": [], "tools": [{}, {}]}`))
	require.NoError(t, err)
	assert.Equal(t, "T2<E>", got)

	// A model directory prefers chat_template.jinja, with the tokens of
	// tokenizer_config.json.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "chat_template.jinja"), []byte("J{{ bos_token }}"), 0o600))
	tmpl, err = Load(dir)
	require.NoError(t, err)
	got, err = tmpl.RenderJSON([]byte(`{"messages": []}`))
	require.NoError(t, err)
	assert.Equal(t, "J<B>", got)
}

// A GGUF vocabulary's tokenizer.chat_template renders with the bos token
// its vocabulary names.
func TestLoadGGUF(t *testing.T) {
	tmpl, err := Load(testfiles.Path(t, "gguf-vocab", "ggml-vocab-phi-3.gguf"))
	require.NoError(t, err)
	assert.Equal(t, "<s>", tmpl.Tokens()["bos_token"])
	got, err := tmpl.Render(Request{Messages: []Message{{"user", "Hi"}}, AddGenerationPrompt: true})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(got, "<s>"), "%q", got)
	assert.Contains(t, got, "Hi")

	_, err = Load(testfiles.Path(t, "gguf-vocab", "ggml-vocab-gpt-2.gguf"))
	require.ErrorContains(t, err, "no tokenizer.chat_template")
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(s), 0o600))
		return p
	}
	for _, c := range []struct{ file, body, err string }{
		{"a.json", `{"chat_template": 3}`, "neither a string nor a list"},
		{"b.json", `{}`, "no chat_template"},
		{"c.json", `{"chat_template": "x", "bos_token": 5}`, "bos_token is neither"},
		{"d.json", `{"chat_template": "{% for %}"}`, "d.json"},
		{"e.json", `{"chat_template": [{"name": "a", "template": "x"}, {"name": "b", "template": "y"}]}`, `none called "default"`},
		{"f.json", `not json`, "not valid JSON"},
	} {
		_, err := Load(write(c.file, c.body))
		require.ErrorContains(t, err, c.err, c.file)
	}
	_, err := Load(dir)
	require.ErrorContains(t, err, "no chat_template.jinja")

	tmpl, err := New("{{ messages | length }}", nil)
	require.NoError(t, err)
	for _, c := range []struct{ req, err string }{
		{`[]`, "not a JSON object"},
		{`{"messages": 1}`, `"messages" is missing or not a list`},
		{`{}`, `"messages" is missing`},
		{`{"messages": []} x`, "trailing data"},
		{`{"messages": [` + strings.Repeat("[", 300) + strings.Repeat("]", 300) + `]}`, "nested deeper"},
	} {
		_, err := tmpl.RenderJSON([]byte(c.req))
		require.ErrorContains(t, err, c.err, c.req)
	}
}
