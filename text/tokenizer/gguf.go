package tokenizer

import (
	"fmt"
	"strings"

	"github.com/lbrx/lbrx/core/gguf"
)

// GGUF token types (tokenizer.ggml.token_type).
const (
	ggufNormal      = 1
	ggufUnknown     = 2
	ggufControl     = 3
	ggufUserDefined = 4
	ggufUnused      = 5
	ggufByte        = 6
)

// FromGGUF builds the tokenizer stored in a GGUF file's metadata
// (tokenizer.ggml.*). It tokenizes as llama.cpp does: "llama" vocabularies
// with llama.cpp's SentencePiece merge by score, "gpt2" ones with
// byte-level BPE after the split patterns tokenizer.ggml.pre names.
// Control tokens are special; they and user-defined tokens are matched in
// the text (EncodeOptions.SplitSpecial leaves control tokens as text, as
// llama.cpp's parse_special=false does).
func FromGGUF(f *gguf.File) (*Tokenizer, error) {
	g := ggufReader{f: f}
	kind := g.str("tokenizer.ggml.model", true)
	toks := g.strs("tokenizer.ggml.tokens", true)
	if g.err != nil {
		return nil, g.err
	}
	n := len(toks)
	types := g.ints("tokenizer.ggml.token_type", n)
	t := &Tokenizer{source: f.Path(), bos: -1, idToTok: toks, tokToID: make(map[string]int, n)}
	for id, s := range toks {
		if _, dup := t.tokToID[s]; !dup {
			t.tokToID[s] = id
		}
	}
	name := strings.ToLower(g.str("general.name", false))
	pre := g.str("tokenizer.ggml.pre", false)
	switch kind {
	case "llama":
		scores := g.floats("tokenizer.ggml.scores", n)
		if g.err != nil {
			return nil, g.err
		}
		m := &spm{vocab: make(map[string]int, n), scores: scores, unk: g.id("tokenizer.ggml.unknown_token_id", n)}
		for id, s := range toks {
			if _, dup := m.vocab[s]; !dup {
				m.vocab[s] = id
			}
		}
		for b := range 256 {
			m.byteIDs[b] = -1
			if id, ok := m.vocab[fmt.Sprintf("<0x%02X>", b)]; ok {
				m.byteIDs[b] = id
			} else if id, ok := m.vocab[string([]byte{byte(b)})]; ok {
				m.byteIDs[b] = id
			}
		}
		t.model = m
		addSpacePrefix := g.boolean("tokenizer.ggml.add_space_prefix", true)
		escape := replace{lit: " ", content: "▁"}
		t.norm = escape
		if addSpacePrefix {
			t.norm = normSequence{prepend{" "}, escape}
		}
		dec := decSequence{replaceDec{replace{lit: "▁", content: " "}}, byteFallbackDec{}, fuseDec{}}
		if addSpacePrefix {
			dec = append(dec, stripDec{content: ' ', start: 1})
		}
		t.dec = dec
		t.cfg.AddBOS = g.boolean("tokenizer.ggml.add_bos_token", true)
		t.cfg.AddEOS = g.boolean("tokenizer.ggml.add_eos_token", false)
	case "gpt2":
		p, ok := ggufPreNames[pre]
		if pre == "" {
			p, ok = ggufPreNames["default"], true
		}
		if !ok {
			return nil, fmt.Errorf("tokenizer %s: tokenizer.ggml.pre: pre-tokenizer %q is not one llama.cpp knows", f.Path(), pre)
		}
		if p.kind == "kimi_k2" || p.kind == "afmoe" {
			return nil, fmt.Errorf("tokenizer %s: tokenizer.ggml.pre %q: llama.cpp splits it with custom code, not a pattern; not supported", f.Path(), pre)
		}
		var seq preSequence
		for _, pat := range ggufPreKinds[p.kind] {
			m, err := compilePattern(pat)
			if err != nil {
				return nil, fmt.Errorf("tokenizer %s: tokenizer.ggml.pre %q: %w", f.Path(), pre, err)
			}
			seq = append(seq, &splitPre{m: m, behavior: isolated})
		}
		t.pre = seq
		t.words = singleWordSplit(seq)
		if p.escapeSpace {
			t.norm = replace{lit: " ", content: "▁"}
		}
		merges := g.strs("tokenizer.ggml.merges", true)
		if g.err != nil {
			return nil, g.err
		}
		b := &bpe{vocab: make(map[string]int, n), merges: make(map[uint64]merge, len(merges)), byteLevel: !p.rawBytes,
			unk: g.id("tokenizer.ggml.unknown_token_id", n), ignoreMerges: p.ignoreMerges, byteFallback: p.rawBytes}
		for id, s := range toks {
			key := s
			if b.byteLevel {
				raw, ok := byteLevelDecode(s)
				if !ok {
					continue
				}
				key = string(raw)
			}
			if _, dup := b.vocab[key]; !dup {
				b.vocab[key] = id
			}
		}
		adder := mergeAdder{m: b, vocab: t.tokToID}
		for i, mg := range merges {
			l, r, ok := strings.Cut(mg, " ")
			if !ok {
				return nil, fmt.Errorf("tokenizer %s: tokenizer.ggml.merges[%d] %q is not two tokens separated by a space", f.Path(), i, mg)
			}
			// llama.cpp skips a merge whose result is not a token: the
			// symbol could never be emitted.
			_ = adder.add(l, r, i)
		}
		b.setBytes()
		t.model = b
		if b.byteLevel {
			t.dec = byteLevelDec{}
		} else {
			t.dec = decSequence{replaceDec{replace{lit: "▁", content: " "}}, byteFallbackDec{}, fuseDec{}}
		}
		llama3Like := p.kind == "llama3" || p.kind == "tekken" || p.kind == "chameleon"
		t.cfg.AddBOS = g.boolean("tokenizer.ggml.add_bos_token", llama3Like)
		t.cfg.AddEOS = g.boolean("tokenizer.ggml.add_eos_token", false)
	default:
		return nil, fmt.Errorf("tokenizer %s: tokenizer.ggml.model %q is not supported (llama and gpt2 are)", f.Path(), kind)
	}

	kinds := ggufTokenKinds(toks, types)
	var added []AddedToken
	for id, k := range kinds {
		switch k {
		case ggufControl, ggufUnknown:
			added = append(added, AddedToken{ID: id, Content: toks[id], Special: true})
		case ggufUserDefined:
			added = append(added, AddedToken{ID: id, Content: toks[id]})
		}
	}
	ggufStripRules(added, name, pre)
	t.setAdded(added)

	t.bos = g.id("tokenizer.ggml.bos_token_id", n)
	if t.bos >= 0 {
		t.cfg.BOSToken = toks[t.bos]
	}
	for _, key := range []string{"tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id"} {
		if id := g.id(key, n); id >= 0 && !containsInt(t.eos, id) {
			t.eos = append(t.eos, id)
		}
	}
	for _, id := range ggufEndOfGeneration(t.tokToID) {
		if !containsInt(t.eos, id) {
			t.eos = append(t.eos, id)
		}
	}
	if len(t.eos) > 0 {
		t.cfg.EOSToken = toks[t.eos[0]]
	}
	t.cfg.ChatTemplate = g.str("tokenizer.chat_template", false)
	var tp template
	if t.cfg.AddBOS && t.bos >= 0 {
		tp.before = []int{t.bos}
	}
	if t.cfg.AddEOS && len(t.eos) > 0 {
		tp.after = []int{t.eos[0]}
	}
	t.post = tp
	if g.err != nil {
		return nil, g.err
	}
	return t, nil
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// ggufReader reads typed metadata and keeps the first error.
type ggufReader struct {
	f   *gguf.File
	err error
}

func (g *ggufReader) fail(key, format string, a ...any) {
	if g.err == nil {
		g.err = fmt.Errorf("tokenizer %s: %s: %s", g.f.Path(), key, fmt.Sprintf(format, a...))
	}
}

func (g *ggufReader) get(key string, required bool) (gguf.KV, bool) {
	kv, ok := g.f.Get(key)
	if !ok && required {
		g.fail(key, "missing")
	}
	return kv, ok
}

func (g *ggufReader) str(key string, required bool) string {
	kv, ok := g.get(key, required)
	if !ok {
		return ""
	}
	s, isStr := kv.Value.(string)
	if !isStr {
		g.fail(key, "is %v, want a string", kv.Type)
	}
	return s
}

func (g *ggufReader) strs(key string, required bool) []string {
	kv, ok := g.get(key, required)
	if !ok {
		return nil
	}
	s, isStrs := kv.Value.([]string)
	if !isStrs {
		g.fail(key, "is not an array of strings")
	}
	return s
}

func (g *ggufReader) boolean(key string, def bool) bool {
	kv, ok := g.get(key, false)
	if !ok {
		return def
	}
	b, isBool := kv.Value.(bool)
	if !isBool {
		g.fail(key, "is %v, want a bool", kv.Type)
	}
	return b
}

// id reads a token id key; -1 when absent.
func (g *ggufReader) id(key string, n int) int {
	kv, ok := g.get(key, false)
	if !ok {
		return -1
	}
	v, isInt := toInt(kv.Value)
	if !isInt || v < 0 || v >= int64(n) {
		g.fail(key, "%v is not a token id below %d", kv.Value, n)
		return -1
	}
	return int(v)
}

// ints reads an integer array of length n (nil when absent).
func (g *ggufReader) ints(key string, n int) []int {
	kv, ok := g.get(key, false)
	if !ok {
		return nil
	}
	var out []int
	switch a := kv.Value.(type) {
	case []int32:
		for _, x := range a {
			out = append(out, int(x))
		}
	case []uint32:
		for _, x := range a {
			out = append(out, int(x))
		}
	case []int8:
		for _, x := range a {
			out = append(out, int(x))
		}
	case []uint8:
		for _, x := range a {
			out = append(out, int(x))
		}
	default:
		g.fail(key, "is not an integer array")
		return nil
	}
	if len(out) != n {
		g.fail(key, "has %d entries for %d tokens", len(out), n)
		return nil
	}
	return out
}

func (g *ggufReader) floats(key string, n int) []float32 {
	kv, ok := g.get(key, false)
	if !ok {
		return make([]float32, n) // no scores: every merge ties, leftmost first
	}
	a, isF := kv.Value.([]float32)
	if !isF || len(a) != n {
		g.fail(key, "want %d float32 scores", n)
		return make([]float32, n)
	}
	return a
}

func toInt(v any) (int64, bool) {
	switch x := v.(type) {
	case uint8:
		return int64(x), true
	case int8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case int16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case int32:
		return int64(x), true
	case uint64:
		return int64(x), x <= 1<<62
	case int64:
		return x, true
	}
	return 0, false
}
