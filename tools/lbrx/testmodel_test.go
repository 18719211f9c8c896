package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core/testfiles"
)

// testChatTemplate is a small chat template in the usual shape (role
// headers, an end-of-turn token, a generation prompt).
const testChatTemplate = "{{ bos_token }}{% for m in messages %}[{{ m.role }}]{{ m.content | trim }}{{ eos_token }}{% endfor %}{% if add_generation_prompt %}[assistant]{% endif %}"

// textModel lays out safetensors/tiny-llama (vocabulary 256, context
// 128) with a tokenizer made for it in a temporary model directory: a
// character-level BPE tokenizer.json (<unk>, <s> and </s> as ids 0-2 as
// in the model's config, printable ASCII as ids 3-97 and the letters
// U+00C0-U+015D as ids 98-255, no merges, a Fuse decoder, BOS added by a
// TemplateProcessing post-processor) and a tokenizer_config.json with
// testChatTemplate. Every id decodes to whole characters, so any
// generated sequence decodes and re-encodes to itself.
func textModel(t *testing.T) string {
	t.Helper()
	src := testfiles.Path(t, "safetensors", "tiny-llama")
	dir := t.TempDir()
	for _, f := range []string{"config.json", "model.safetensors"} {
		require.NoError(t, os.Symlink(filepath.Join(src, f), filepath.Join(dir, f)))
	}
	vocab := map[string]int{"<unk>": 0, "<s>": 1, "</s>": 2}
	for c := rune(0x20); c <= 0x7e; c++ {
		vocab[string(c)] = len(vocab)
	}
	for c := rune(0xc0); len(vocab) < 256; c++ {
		vocab[string(c)] = len(vocab)
	}
	special := func(id int, s string) map[string]any {
		return map[string]any{"id": id, "content": s, "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}
	}
	bos := map[string]any{"SpecialToken": map[string]any{"id": "<s>", "type_id": 0}}
	seq := func(id string) map[string]any {
		return map[string]any{"Sequence": map[string]any{"id": id, "type_id": 0}}
	}
	tj := map[string]any{
		"version": "1.0", "truncation": nil, "padding": nil,
		"added_tokens":  []any{special(0, "<unk>"), special(1, "<s>"), special(2, "</s>")},
		"normalizer":    nil,
		"pre_tokenizer": nil,
		"post_processor": map[string]any{
			"type": "TemplateProcessing", "single": []any{bos, seq("A")}, "pair": []any{bos, seq("A"), seq("B")},
			"special_tokens": map[string]any{"<s>": map[string]any{"id": "<s>", "ids": []int{1}, "tokens": []string{"<s>"}}},
		},
		"decoder": map[string]any{"type": "Fuse"},
		"model": map[string]any{
			"type": "BPE", "dropout": nil, "unk_token": "<unk>", "continuing_subword_prefix": nil, "end_of_word_suffix": nil,
			"fuse_unk": false, "byte_fallback": false, "ignore_merges": false, "vocab": vocab, "merges": []any{},
		},
	}
	cfg := map[string]any{"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "add_bos_token": true, "chat_template": testChatTemplate}
	for name, v := range map[string]any{"tokenizer.json": tj, "tokenizer_config.json": cfg} {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o600))
	}
	return dir
}
