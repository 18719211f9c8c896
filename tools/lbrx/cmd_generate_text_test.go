package main

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core/testfiles"
	"github.com/lbrx/lbrx/text/chat"
	"github.com/lbrx/lbrx/text/tokenizer"
)

type generateJSON struct {
	Text            string `json:"text"`
	IDs             []int  `json:"ids"`
	Stop            string `json:"stop"`
	Seed            uint64 `json:"seed"`
	PromptTokens    int    `json:"prompt_tokens"`
	GeneratedTokens int    `json:"generated_tokens"`
}

func generateJSONRun(t *testing.T, args ...string) generateJSON {
	t.Helper()
	code, stdout, stderr := runLbrx(append([]string{"generate", "--json"}, args...)...)
	require.Equal(t, 0, code, stderr)
	var g generateJSON
	require.NoError(t, json.Unmarshal([]byte(stdout), &g), stdout)
	return g
}

func TestGeneratePromptText(t *testing.T) {
	dir := textModel(t)
	tok, err := tokenizer.Load(dir)
	require.NoError(t, err)

	// The prompt is encoded with BOS; the text is the decoded ids.
	g := generateJSONRun(t, dir, "--prompt", "Hello", "--max-tokens", "12", "--ignore-eos")
	assert.Equal(t, 6, g.PromptTokens, "<s> and five characters")
	assert.Equal(t, 12, g.GeneratedTokens)
	assert.Equal(t, "length", g.Stop)
	want, err := tok.Decode(g.IDs, true)
	require.NoError(t, err)
	assert.Equal(t, want, g.Text)

	// Plain output streams the same text, statistics on stderr.
	code, stdout, stderr := runLbrx("generate", dir, "--prompt", "Hello", "--max-tokens", "12", "--ignore-eos")
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, g.Text+"\n", stdout)
	assert.Contains(t, stderr, "stop: length; seed: ")
	assert.Contains(t, stderr, "prefill: 6 tokens")

	// A random seed unless --seed; a seed repeats a sampled run.
	args := []string{dir, "--prompt", "Hello", "--max-tokens", "16", "--ignore-eos", "--temperature", "1.5", "--top-k", "50", "--min-p", "0.01", "--repeat-penalty", "1.3"}
	a := generateJSONRun(t, append(args, "--seed", "7")...)
	b := generateJSONRun(t, append(args, "--seed", "7")...)
	assert.Equal(t, uint64(7), a.Seed)
	assert.Equal(t, a.IDs, b.IDs)
	r1, r2 := generateJSONRun(t, args...), generateJSONRun(t, args...)
	assert.NotEqual(t, r1.Seed, r2.Seed, "unseeded runs draw their own seeds")
	c := generateJSONRun(t, append(args, "--seed", strings.TrimSpace(jsonNumber(r1.Seed)))...)
	assert.Equal(t, r1.IDs, c.IDs, "the reported seed repeats the run")

	// A stop string ends the text where it starts and is not printed.
	long := generateJSONRun(t, dir, "--prompt", "Hello", "--max-tokens", "40", "--ignore-eos")
	rs := []rune(long.Text)
	require.Greater(t, len(rs), 12)
	stop := string(rs[8:11])
	cut := strings.Index(long.Text, stop)
	s := generateJSONRun(t, dir, "--prompt", "Hello", "--max-tokens", "40", "--ignore-eos", "--stop", "no such text", "--stop", stop)
	assert.Equal(t, "stop", s.Stop)
	assert.Equal(t, long.Text[:cut], s.Text)

	// Generation ends when the context (128 positions) is full.
	full := generateJSONRun(t, dir, "--prompt", "Hello", "--max-tokens", "1000", "--ignore-eos")
	assert.Equal(t, "context", full.Stop)
	assert.Equal(t, 128-6, full.GeneratedTokens)

	// --chat renders the template; the model reads exactly its tokens.
	tmpl, err := chat.Load(dir)
	require.NoError(t, err)
	text, err := tmpl.Render(chat.Request{Messages: []chat.Message{{Role: "system", Content: "Be brief."}, {Role: "user", Content: "Hi"}}, AddGenerationPrompt: true})
	require.NoError(t, err)
	assert.Equal(t, "<s>[system]Be brief.</s>[user]Hi</s>[assistant]", text)
	ids, err := tok.Encode(text, false)
	require.NoError(t, err)
	g = generateJSONRun(t, dir, "--prompt", "Hi", "--chat", "--system", "Be brief.", "--max-tokens", "4")
	assert.Equal(t, len(ids), g.PromptTokens)
}

func jsonNumber(v uint64) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestGeneratePromptErrors(t *testing.T) {
	dir := textModel(t)
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{dir, "--prompt", strings.Repeat("a", 200)}, 1, "the model's context is 128 tokens"},
		{[]string{dir, "--prompt", "x", "--ids", "1,2"}, 2, "exclude each other"},
		{[]string{dir, "--chat"}, 2, "need --prompt"},
		{[]string{dir, "--prompt", "x", "--system", "s"}, 2, "--system needs --chat"},
		{[]string{dir, "--prompt", "x", "--top-k", "-1"}, 2, "top-k -1 is negative"},
		{[]string{dir, "--prompt", "x", "--min-p", "2"}, 2, "min-p 2 is not in [0, 1]"},
		{[]string{dir, "--prompt", "x", "--seed", "abc"}, 2, "--seed"},
		{[]string{dir, "--prompt", "x", "--stop", ""}, 2, "--stop needs"},
		{[]string{dir, "--prompt", "x", "--tokenizer", "/nonexistent/tokenizer.json"}, 1, "/nonexistent/tokenizer.json"},
		{[]string{dir, "--prompt", "x", "--chat", "--tokenizer", "/nonexistent/tokenizer.json"}, 1, "/nonexistent/tokenizer.json"},
	} {
		code, _, stderr := runLbrx(append([]string{"generate"}, c.args...)...)
		assert.Equal(t, c.code, code, "%v: %s", c.args, stderr)
		assert.Contains(t, stderr, c.msg, "%v", c.args)
	}
}

// A GGUF model brings its own vocabulary: --prompt is its tokenizer's
// ids (with BOS) run through the model, as --ids with those ids is.
func TestGeneratePromptGGUF(t *testing.T) {
	model := testfiles.Path(t, "gguf-models", "tiny-llama-f32.gguf")
	tok, err := tokenizer.Load(model)
	require.NoError(t, err)
	ids, err := tok.Encode("Hello world", true)
	require.NoError(t, err)
	g := generateJSONRun(t, model, "--prompt", "Hello world", "--max-tokens", "6", "--ignore-eos")
	assert.Equal(t, len(ids), g.PromptTokens)
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.Itoa(id)
	}
	byIDs := generateJSONRun(t, model, "--ids", strings.Join(s, ","), "--max-tokens", "6", "--ignore-eos")
	assert.Equal(t, byIDs.IDs, g.IDs)
	want, err := tok.Decode(g.IDs, true)
	require.NoError(t, err)
	assert.Equal(t, want, g.Text)
}
