// Package servetest makes a small servable model for tests and
// benchmarks of package serve and lbrx serve: tiny-llama's weights (256
// tokens) with a byte-level tokenizer and a minimal chat template.
package servetest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// ChatTemplate is a minimal template in the usual shape: each turn tagged
// with its role, then the assistant's tag.
const ChatTemplate = "{% for m in messages %}<{{ m.role }}>{{ m.content }}\n{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}"

// ByteLevelTokenizer returns a tokenizer.json with one token per byte
// (GPT-2's byte-to-character mapping, no merges): byte b is id b. A
// vocabulary larger than 256 (a model's) is filled with tokens
// "<extra_ID>" that decode to that text.
func ByteLevelTokenizer(size int) ([]byte, error) {
	if size < 256 {
		return nil, fmt.Errorf("servetest: a byte-level vocabulary has at least 256 tokens, not %d", size)
	}
	vocab := map[string]int{}
	for b, r := range byteChars() {
		vocab[string(r)] = b
	}
	var added []any
	for id := 256; id < size; id++ {
		tok := fmt.Sprintf("<extra_%d>", id)
		vocab[tok] = id
		added = append(added, map[string]any{"id": id, "content": tok, "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": false})
	}
	bl := map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}
	return json.Marshal(map[string]any{
		"version":        "1.0",
		"added_tokens":   added,
		"normalizer":     nil,
		"pre_tokenizer":  bl,
		"post_processor": nil,
		"decoder":        bl,
		"model": map[string]any{
			"type": "BPE", "vocab": vocab, "merges": []any{}, "dropout": nil, "unk_token": nil,
			"continuing_subword_prefix": nil, "end_of_word_suffix": nil, "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
		},
	})
}

// byteChars is GPT-2's bytes_to_unicode: printable bytes map to
// themselves, the others to code points from 256 on.
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

// ModelDir fills dir with a servable model: src's config.json and
// model.safetensors (linked, not copied; src is a 256-token model such as
// testdata's safetensors/tiny-llama), the byte-level tokenizer.json and a
// tokenizer_config.json holding ChatTemplate.
func ModelDir(src, dir string) error {
	for _, f := range []string{"config.json", "model.safetensors"} {
		if err := os.Symlink(filepath.Join(src, f), filepath.Join(dir, f)); err != nil {
			return fmt.Errorf("servetest: %w", err)
		}
	}
	tj, err := ByteLevelTokenizer(256)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), tj, 0o600); err != nil {
		return err
	}
	cfg, err := json.Marshal(map[string]any{"chat_template": ChatTemplate})
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), cfg, 0o600)
}
