package serve

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core/testfiles"
	"github.com/lbrx/lbrx/models/llama"
	"github.com/lbrx/lbrx/text/chat"
	"github.com/lbrx/lbrx/text/tokenizer"
)

// chatTemplate is a minimal template in the usual shape: each turn
// tagged with its role, then the assistant's tag.
const chatTemplate = "{% for m in messages %}<{{ m.role }}>{{ m.content }}\n{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}"

// byteLevelJSON is a tokenizer.json with one token per byte (GPT-2's
// byte-to-character mapping, no merges): exactly the 256 ids of the tiny
// test model's vocabulary.
func byteLevelJSON(t testing.TB) []byte {
	vocab := map[string]int{}
	for b, r := range byteChars() {
		vocab[string(r)] = b
	}
	tj := map[string]any{
		"version":        "1.0",
		"added_tokens":   []any{},
		"normalizer":     nil,
		"pre_tokenizer":  map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false},
		"post_processor": nil,
		"decoder":        map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false},
		"model":          map[string]any{"type": "BPE", "vocab": vocab, "merges": []any{}, "dropout": nil, "unk_token": nil, "continuing_subword_prefix": nil, "end_of_word_suffix": nil, "fuse_unk": false, "byte_fallback": false, "ignore_merges": false},
	}
	b, err := json.Marshal(tj)
	require.NoError(t, err)
	return b
}

// byteChars is GPT-2's bytes_to_unicode: printable bytes map to
// themselves, the rest to code points from 256 on.
func byteChars() []rune {
	out := make([]rune, 256)
	n := 0
	for b := range 256 {
		if (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF) {
			out[b] = rune(b)
		} else {
			out[b] = rune(256 + n)
			n++
		}
	}
	return out
}

// testModelDir makes a model directory: tiny-llama's config and weights
// (linked, not copied) with the byte-level tokenizer and the chat template.
func testModelDir(t testing.TB) string {
	src := testfiles.Path(t, "safetensors", "tiny-llama")
	dir := t.TempDir()
	for _, f := range []string{"config.json", "model.safetensors"} {
		require.NoError(t, os.Symlink(filepath.Join(src, f), filepath.Join(dir, f)))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "tokenizer.json"), byteLevelJSON(t), 0o600))
	cfg, err := json.Marshal(map[string]any{"chat_template": chatTemplate})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), cfg, 0o600))
	return dir
}

// testServer starts a Server on the tiny model behind an httptest server
// on 127.0.0.1; cfg's model, tokenizer and template are filled in.
func testServer(t testing.TB, cfg Config) (*Server, *httptest.Server) {
	dir := testModelDir(t)
	m, err := llama.Load(dir, llama.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = m.Close() })
	tk, err := tokenizer.Load(dir)
	require.NoError(t, err)
	tmpl, err := chat.Load(dir)
	require.NoError(t, err)
	cfg.Model, cfg.Tokenizer, cfg.Template = m, tk, tmpl
	if cfg.Name == "" {
		cfg.Name = "tiny-llama"
	}
	s, err := New(cfg)
	require.NoError(t, err)
	hs := httptest.NewServer(s)
	t.Cleanup(func() {
		hs.Close()
		_ = s.Close()
	})
	return s, hs
}
