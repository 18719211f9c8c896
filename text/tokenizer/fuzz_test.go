package tokenizer

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzByteLevelRoundTrip: a byte-level tokenizer without a normalizer
// decodes what it encodes back to the same text, for any valid UTF-8
// (text holding an added token's literal aside), and streaming gives the
// same text.
func FuzzByteLevelRoundTrip(f *testing.F) {
	tk := loadShared(f, "llama3_1")
	for _, s := range []string{"", "Hello world", " \n\t 12345 ", "'S'll 😀 naïve 日本語", "\u0085\ufeff\u2028"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) || strings.Contains(s, "<|") {
			return
		}
		ids, err := tk.Encode(s, false)
		if err != nil {
			t.Fatal(err)
		}
		got, err := tk.Decode(ids, false)
		if err != nil {
			t.Fatal(err)
		}
		if got != s {
			t.Fatalf("%q decodes back to %q", s, got)
		}
		d := tk.NewDecoder(false)
		var b strings.Builder
		for _, id := range ids {
			part, err := d.Add(id)
			if err != nil {
				t.Fatal(err)
			}
			b.WriteString(part)
		}
		rest, _ := d.Flush()
		if b.String()+rest != s {
			t.Fatalf("%q streams as %q", s, b.String()+rest)
		}
	})
}

// FuzzParseHF: arbitrary bytes as tokenizer.json load or fail, never
// panic, and whatever loads encodes and decodes without panicking.
func FuzzParseHF(f *testing.F) {
	f.Add([]byte(`{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]}}`))
	f.Add([]byte(`{"normalizer": {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "▁"}]}, "pre_tokenizer": {"type": "Split", "pattern": {"Regex": "\\s+"}, "behavior": "Contiguous", "invert": true}, "decoder": {"type": "Strip", "content": " ", "start": 1, "stop": 2}, "added_tokens": [{"id": 1, "content": "b", "lstrip": true, "rstrip": true, "single_word": true}], "model": {"type": "BPE", "unk_token": "a", "fuse_unk": true, "byte_fallback": true, "vocab": {"a": 0, "b": 1, "<0x20>": 2}, "merges": [["a", "b"]]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tk, err := parseHF("fuzz.json", data)
		if err != nil {
			return
		}
		for _, s := range []string{"", "ab ba", "\xff a\u00a0b"} {
			ids, err := tk.Encode(s, true)
			if err != nil {
				continue
			}
			_, _ = tk.Decode(ids, true)
		}
	})
}
