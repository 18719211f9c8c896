package tokenizer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
)

// The five split behaviours on the example of the Hugging Face
// documentation (SplitDelimiterBehavior): "the-final--countdown" split on
// "-".
func TestSplitBehaviors(t *testing.T) {
	want := map[splitBehavior][]string{
		removed:            {"the", "final", "countdown"},
		isolated:           {"the", "-", "final", "-", "-", "countdown"},
		mergedWithPrevious: {"the-", "final-", "-", "countdown"},
		mergedWithNext:     {"the", "-final", "-", "-countdown"},
		contiguous:         {"the", "-", "final", "--", "countdown"},
	}
	s := "the-final--countdown"
	m, _ := literalMatcher{"-"}.find(s, nil)
	for b, w := range want {
		if got := splitPieces(s, m, b, false, nil); !slices.Equal(got, w) {
			t.Errorf("behavior %d: %q, want %q", b, got, w)
		}
	}
	// invert: the text between the matches is what the behaviour acts on.
	if got := splitPieces(s, m, removed, true, nil); !slices.Equal(got, []string{"-", "-", "-"}) {
		t.Errorf("inverted removed: %q", got)
	}
}

func preSplit(t *testing.T, p preTokenizer, s string) []string {
	t.Helper()
	out, err := p.split([]piece{{s: s, start: true}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var r []string
	for _, x := range out {
		r = append(r, x.s)
	}
	return r
}

func TestPreTokenizers(t *testing.T) {
	cases := []struct {
		name string
		p    preTokenizer
		in   string
		want []string
	}{
		{"digits individual", digitsPre(true), "a12 b3", []string{"a", "1", "2", " b", "3"}},
		{"digits runs", digitsPre(false), "a12 b3", []string{"a", "12", " b", "3"}},
		{"whitespace", whitespacePre(), "Hey friend!  How are_you?", []string{"Hey", "friend", "!", "How", "are_you", "?"}},
		{"whitespace split", whitespaceSplitPre(), "Hey friend!  How", []string{"Hey", "friend!", "How"}},
		{"punctuation", punctuationPre(isolated), "Hey, you!", []string{"Hey", ",", " you", "!"}},
		{"metaspace always", &metaspacePre{repl: "▁", scheme: "always", splitOn: true}, "Hey my friend", []string{"▁Hey", "▁my", "▁friend"}},
		{"metaspace never, no split", &metaspacePre{repl: "▁", scheme: "never"}, "Hey my", []string{"Hey▁my"}},
		{"byte-level prefix space", &byteLevelPre{addPrefixSpace: true, regex: &splitPre{m: knownSplitter(patternGPT2)}}, "Hello  world", []string{" Hello", " ", " world"}},
	}
	for _, c := range cases {
		if got := preSplit(t, c.p, c.in); !slices.Equal(got, c.want) {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
	// Metaspace "first" prepends only to the piece at the start of the input.
	p := &metaspacePre{repl: "▁", scheme: "first", splitOn: true}
	out, err := p.split([]piece{{s: "a b", start: true}, {s: "c", start: false}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := []string{out[0].s, out[1].s, out[2].s}; !slices.Equal(got, []string{"▁a", "▁b", "c"}) {
		t.Errorf("metaspace first: %q", got)
	}
}

func TestNormalizersAndDecoders(t *testing.T) {
	n := normSequence{unicodeNorm{norm.NFC}, lowercase{}, strip{left: true, right: true}, prepend{"▁"}}
	got, err := n.normalize("  ÉCOLE ")
	if err != nil || got != "▁école" {
		t.Errorf("normalizers: %q %v", got, err)
	}
	if got, _ := (prepend{"x"}).normalize(""); got != "" {
		t.Errorf("prepend on empty: %q", got)
	}
	re, err := compilePattern(`\s+`)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := (replace{re: re, content: "_"}).normalize("a  b\tc"); got != "a_b_c" {
		t.Errorf("regex replace: %q", got)
	}
	// Strip works on every token; ByteFallback turns invalid bytes into one
	// U+FFFD each; byte-level decoding follows Rust's lossy UTF-8.
	if got := (stripDec{content: ' ', start: 1, stop: 1}).decode([]string{" a ", "  b"}); !slices.Equal(got, []string{"a", " b"}) {
		t.Errorf("strip: %q", got)
	}
	if got := (byteFallbackDec{}).decode([]string{"<0xE2>", "<0x82>", "x", "<0xE2>", "<0x82>", "<0xAC>"}); !slices.Equal(got, []string{"\uFFFD", "\uFFFD", "x", "€"}) {
		t.Errorf("byte fallback: %q", got)
	}
	if got := lossyUTF8([]byte("a\xff\xfeb\xe2\x82")); got != "a\uFFFD\uFFFDb\uFFFD" {
		t.Errorf("lossy: %q", got)
	}
	// The Rust library's own decoder tests, and its first-token rule.
	if got := (metaspaceDec{repl: "▁", prepend: true}).decode([]string{"▁Hey", "▁friend!"}); !slices.Equal(got, []string{"Hey", " friend!"}) {
		t.Errorf("metaspace decoder: %q", got)
	}
	if got := (metaspaceDec{repl: "▁", prepend: false}).decode([]string{"▁Hey", "▁friend!"}); !slices.Equal(got, []string{" Hey", " friend!"}) {
		t.Errorf("metaspace decoder, never: %q", got)
	}
	if got := (metaspaceDec{repl: "▁", prepend: true}).decode([]string{"▁▁a▁b"}); !slices.Equal(got, []string{"ab"}) {
		t.Errorf("metaspace decoder, first token: %q", got)
	}
	if got := (wordPieceDec{prefix: "##"}).decode([]string{"un", "##believ", "##able", "!"}); strings.Join(got, "") != "unbelievable !" {
		t.Errorf("wordpiece decoder: %q", got)
	}
}

func TestAddedTokenOptions(t *testing.T) {
	m := newAddedMatcher([]AddedToken{
		{ID: 1, Content: "<mask>", LStrip: true, RStrip: true},
		{ID: 2, Content: "cat", SingleWord: true},
		{ID: 3, Content: "<a>"}, {ID: 4, Content: "<a><b>"},
	})
	type seg struct {
		text string
		id   int
	}
	var got []seg
	for _, s := range m.split("x  <mask>  y cat concat <a><b><a>", true, nil) {
		got = append(got, seg{s.text, s.id})
	}
	want := []seg{{"x", -1}, {"", 1}, {"y ", -1}, {"", 2}, {" concat ", -1}, {"", 4}, {"", 3}}
	if !slices.Equal(got, want) {
		t.Errorf("added tokens: %+v, want %+v", got, want)
	}
}

// Broken files are errors that name the file and the key, never panics.
func TestBadTokenizerJSON(t *testing.T) {
	cases := map[string]string{
		"not json":       `{"model": `,
		"unknown model":  `{"model": {"type": "Unigram", "vocab": []}}`,
		"merge oov":      `{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": ["a b"]}}`,
		"merge shape":    `{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a"]}}`,
		"bad id":         `{"model": {"type": "BPE", "vocab": {"a": -4}, "merges": []}}`,
		"sparse id":      `{"model": {"type": "BPE", "vocab": {"a": 1000000000}, "merges": []}}`,
		"template id":    `{"post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>"}}], "special_tokens": {"<s>": {"ids": [9]}}}, "model": {"type": "BPE", "vocab": {}, "merges": []}}`,
		"bad regex":      `{"pre_tokenizer": {"type": "Split", "pattern": {"Regex": "(("}, "behavior": "Isolated"}, "model": {"type": "BPE", "vocab": {}, "merges": []}}`,
		"bad behavior":   `{"pre_tokenizer": {"type": "Split", "pattern": {"String": " "}, "behavior": "Sideways"}, "model": {"type": "BPE", "vocab": {}, "merges": []}}`,
		"bad unk":        `{"model": {"type": "BPE", "unk_token": "<unk>", "vocab": {"a": 0}, "merges": []}}`,
		"bad template":   `{"post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>"}}], "special_tokens": {}}, "model": {"type": "BPE", "vocab": {}, "merges": []}}`,
		"bad normalizer": `{"normalizer": {"type": "Precompiled"}, "model": {"type": "BPE", "vocab": {}, "merges": []}}`,
	}
	dir := t.TempDir()
	for name, body := range cases {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".json")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Load(p)
		if err == nil {
			t.Errorf("%s: loaded", name)
			continue
		}
		if !strings.Contains(err.Error(), p) {
			t.Errorf("%s: error %q does not name the file", name, err)
		}
	}
	// A vocabulary without the byte tokens cannot encode text it lacks.
	p := filepath.Join(dir, "tiny.json")
	body, _ := json.Marshal(map[string]any{"model": map[string]any{"type": "BPE", "vocab": map[string]int{"a": 0}, "merges": []string{}}})
	if err := os.WriteFile(p, body, 0o600); err != nil {
		t.Fatal(err)
	}
	tk, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if ids, err := tk.Encode("aa", false); err != nil || !slices.Equal(ids, []int{0, 0}) {
		t.Errorf("aa: %v %v", ids, err)
	}
	if _, err := tk.Encode("ab", false); err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("ab: want an error naming the file, got %v", err)
	}
	if _, err := tk.Decode([]int{0, 7}, false); err == nil {
		t.Error("decoding id 7 of a 1-token vocabulary succeeded")
	}
}

func TestConfig(t *testing.T) {
	cases := []struct {
		name      string
		bos       int
		eos       []int
		bosTok    string
		addBOS    bool
		templated bool
	}{
		{"llama3_1", 128000, []int{128009}, "<|begin_of_text|>", true, true},
		{"mistral", 1, []int{2}, "<s>", true, false},
		{"qwen3", -1, []int{151645}, "", false, true},
		{"gemma3", 2, []int{106}, "<bos>", true, true},
	}
	for _, c := range cases {
		tk := loadShared(t, c.name)
		bos, ok := tk.BOS()
		cfg := tk.Config()
		if bos != c.bos || ok != (c.bos >= 0) || !slices.Equal(tk.EOS(), c.eos) || cfg.BOSToken != c.bosTok ||
			cfg.AddBOS != c.addBOS || (cfg.ChatTemplate != "") != c.templated {
			t.Errorf("%s: bos %d %v eos %v config %+v", c.name, bos, ok, tk.EOS(), cfg)
		}
	}
}
