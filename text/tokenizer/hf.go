package tokenizer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// hfFile is the part of tokenizer.json lbrx reads.
type hfFile struct {
	AddedTokens []struct {
		ID         int    `json:"id"`
		Content    string `json:"content"`
		SingleWord bool   `json:"single_word"`
		LStrip     bool   `json:"lstrip"`
		RStrip     bool   `json:"rstrip"`
		Normalized bool   `json:"normalized"`
		Special    bool   `json:"special"`
	} `json:"added_tokens"`
	Normalizer    json.RawMessage `json:"normalizer"`
	PreTokenizer  json.RawMessage `json:"pre_tokenizer"`
	PostProcessor json.RawMessage `json:"post_processor"`
	Decoder       json.RawMessage `json:"decoder"`
	Model         struct {
		Type                    string          `json:"type"`
		UnkToken                *string         `json:"unk_token"`
		ContinuingSubwordPrefix *string         `json:"continuing_subword_prefix"`
		EndOfWordSuffix         *string         `json:"end_of_word_suffix"`
		FuseUnk                 bool            `json:"fuse_unk"`
		ByteFallback            bool            `json:"byte_fallback"`
		IgnoreMerges            bool            `json:"ignore_merges"`
		Dropout                 *float64        `json:"dropout"`
		Vocab                   map[string]int  `json:"vocab"`
		Merges                  json.RawMessage `json:"merges"`
	} `json:"model"`
}

// component is the common shape of normalizers, pre-tokenizers,
// processors and decoders: a type and its fields.
type component struct {
	Type string `json:"type"`
	// Sequence members under their various names.
	Normalizers   []json.RawMessage `json:"normalizers"`
	PreTokenizers []json.RawMessage `json:"pretokenizers"`
	Processors    []json.RawMessage `json:"processors"`
	Decoders      []json.RawMessage `json:"decoders"`

	Pattern *struct {
		String *string `json:"String"`
		Regex  *string `json:"Regex"`
	} `json:"pattern"`
	Content        json.RawMessage `json:"content"`
	Prepend        string          `json:"prepend"`
	Behavior       string          `json:"behavior"`
	Invert         bool            `json:"invert"`
	AddPrefixSpace *bool           `json:"add_prefix_space"`
	UseRegex       *bool           `json:"use_regex"`
	Replacement    string          `json:"replacement"`
	PrependScheme  string          `json:"prepend_scheme"`
	Split          *bool           `json:"split"`
	Individual     bool            `json:"individual_digits"`
	Left           bool            `json:"left"`
	Right          bool            `json:"right"`
	Start          int             `json:"start"`
	Stop           int             `json:"stop"`
	Prefix         string          `json:"prefix"`
	Single         []struct {
		SpecialToken *struct {
			ID string `json:"id"`
		} `json:"SpecialToken"`
		Sequence *struct {
			ID string `json:"id"`
		} `json:"Sequence"`
	} `json:"single"`
	SpecialTokens map[string]struct {
		IDs []int `json:"ids"`
	} `json:"special_tokens"`
	Cls []json.RawMessage `json:"cls"`
	Sep []json.RawMessage `json:"sep"`
}

func isNull(m json.RawMessage) bool {
	m = bytes.TrimSpace(m)
	return len(m) == 0 || string(m) == "null"
}

// parseHF builds a tokenizer from tokenizer.json bytes; name is the file
// named in errors.
func parseHF(name string, data []byte) (*Tokenizer, error) {
	var f hfFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("tokenizer %s: %w", name, err)
	}
	t := &Tokenizer{source: name, bos: -1}
	fail := func(key string, err error) (*Tokenizer, error) {
		return nil, fmt.Errorf("tokenizer %s: %s: %w", name, key, err)
	}
	var err error
	if !isNull(f.Normalizer) {
		if t.norm, err = parseNormalizer(f.Normalizer); err != nil {
			return fail("normalizer", err)
		}
	}
	byteLevel := false
	if !isNull(f.PreTokenizer) {
		if t.pre, err = parsePre(f.PreTokenizer, &byteLevel); err != nil {
			return fail("pre_tokenizer", err)
		}
	}
	t.words = singleWordSplit(t.pre)
	if !isNull(f.Decoder) {
		if t.dec, err = parseDecoder(f.Decoder); err != nil {
			return fail("decoder", err)
		}
	}

	m := &f.Model
	if m.Type != "BPE" && m.Type != "" {
		return fail("model.type", fmt.Errorf("model %q is not supported (BPE is)", m.Type))
	}
	if m.Dropout != nil && *m.Dropout != 0 {
		return fail("model.dropout", fmt.Errorf("BPE dropout %g is not supported (it makes encoding random)", *m.Dropout))
	}
	if (m.ContinuingSubwordPrefix != nil && *m.ContinuingSubwordPrefix != "") || (m.EndOfWordSuffix != nil && *m.EndOfWordSuffix != "") {
		return fail("model", fmt.Errorf("continuing_subword_prefix/end_of_word_suffix are not supported"))
	}
	b := &bpe{vocab: make(map[string]int, len(m.Vocab)), merges: map[uint64]merge{}, byteLevel: byteLevel, unk: -1,
		fuseUnk: m.FuseUnk, byteFallback: m.ByteFallback, ignoreMerges: m.IgnoreMerges}
	// Ids are dense in real files; bounding them by the number of entries
	// keeps a small file from asking for a huge id table.
	limit := len(m.Vocab) + len(f.AddedTokens)
	n := 0
	for tok, id := range m.Vocab {
		if id < 0 || id >= limit {
			return fail("model.vocab", fmt.Errorf("token %q has id %d", tok, id))
		}
		n = max(n, id+1)
	}
	for _, a := range f.AddedTokens {
		if a.ID < 0 || a.ID >= limit {
			return fail("added_tokens", fmt.Errorf("token %q has id %d", a.Content, a.ID))
		}
		n = max(n, a.ID+1)
	}
	t.idToTok = make([]string, n)
	t.tokToID = make(map[string]int, n)
	for tok, id := range m.Vocab {
		t.idToTok[id] = tok
		t.tokToID[tok] = id
		key := tok
		if byteLevel {
			raw, ok := byteLevelDecode(tok)
			if !ok {
				continue // not reachable from bytes
			}
			key = string(raw)
		}
		b.vocab[key] = id
	}
	if m.UnkToken != nil {
		id, ok := m.Vocab[*m.UnkToken]
		if !ok {
			return fail("model.unk_token", fmt.Errorf("%q is not in the vocabulary", *m.UnkToken))
		}
		b.unk = id
	}
	if err := parseMerges(&mergeAdder{m: b, vocab: m.Vocab}, m.Merges); err != nil {
		return fail("model.merges", err)
	}
	b.setBytes()
	b.setMeta()
	t.model = b

	added := make([]AddedToken, 0, len(f.AddedTokens))
	for _, a := range f.AddedTokens {
		t.idToTok[a.ID] = a.Content
		t.tokToID[a.Content] = a.ID
		at := AddedToken{ID: a.ID, Content: a.Content, Special: a.Special, LStrip: a.LStrip, RStrip: a.RStrip,
			SingleWord: a.SingleWord, Normalized: a.Normalized}
		if at.Normalized && t.norm != nil {
			if at.Content, err = t.norm.normalize(at.Content); err != nil {
				return fail("added_tokens", err)
			}
		}
		added = append(added, at)
	}
	t.setAdded(added)

	if !isNull(f.PostProcessor) {
		if t.post, err = parsePost(f.PostProcessor, t.tokToID, len(t.idToTok)); err != nil {
			return fail("post_processor", err)
		}
	}
	return t, nil
}

func parseMerges(ma *mergeAdder, raw json.RawMessage) error {
	if isNull(raw) {
		return nil
	}
	var pairs [][2]string
	var lines []string
	if err := json.Unmarshal(raw, &lines); err != nil {
		if err2 := json.Unmarshal(raw, &pairs); err2 != nil {
			return fmt.Errorf("neither \"a b\" strings nor [a, b] pairs: %w", err2)
		}
	} else {
		pairs = make([][2]string, len(lines))
		for i, l := range lines {
			a, c, ok := strings.Cut(l, " ")
			if !ok || strings.Contains(c, " ") {
				return fmt.Errorf("merge %d %q is not two tokens separated by a space", i, l)
			}
			pairs[i] = [2]string{a, c}
		}
	}
	if len(ma.m.merges) == 0 {
		ma.m.merges = make(map[uint64]merge, len(pairs))
	}
	for i, p := range pairs {
		if err := ma.add(p[0], p[1], i); err != nil {
			return err
		}
	}
	return nil
}

// patternOf compiles a {"String": ...} or {"Regex": ...} pattern.
func (c *component) patternOf() (lit string, re matcher, err error) {
	switch {
	case c.Pattern == nil:
		return "", nil, fmt.Errorf("%s: no pattern", c.Type)
	case c.Pattern.String != nil:
		return *c.Pattern.String, nil, nil
	case c.Pattern.Regex != nil:
		re, err = compilePattern(*c.Pattern.Regex)
		return "", re, err
	}
	return "", nil, fmt.Errorf("%s: pattern is neither String nor Regex", c.Type)
}

func (c *component) contentString() (string, error) {
	var s string
	if err := json.Unmarshal(c.Content, &s); err != nil {
		return "", fmt.Errorf("%s: content: %w", c.Type, err)
	}
	return s, nil
}

// parseSequence parses the members of a Sequence component with parse,
// naming the member that fails.
func parseSequence[T any](raws []json.RawMessage, parse func(json.RawMessage) (T, error)) ([]T, error) {
	out := make([]T, 0, len(raws))
	for i, r := range raws {
		v, err := parse(r)
		if err != nil {
			return nil, fmt.Errorf("member %d of the sequence: %w", i, err)
		}
		out = append(out, v)
	}
	return out, nil
}

func parseNormalizer(raw json.RawMessage) (normalizer, error) {
	var c component
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, err
	}
	switch c.Type {
	case "Sequence":
		q, err := parseSequence(c.Normalizers, parseNormalizer)
		if err != nil {
			return nil, err
		}
		return normSequence(q), nil
	case "NFC":
		return unicodeNorm{norm.NFC}, nil
	case "NFD":
		return unicodeNorm{norm.NFD}, nil
	case "NFKC":
		return unicodeNorm{norm.NFKC}, nil
	case "NFKD":
		return unicodeNorm{norm.NFKD}, nil
	case "Lowercase":
		return lowercase{}, nil
	case "Prepend":
		return prepend{c.Prepend}, nil
	case "Strip":
		return strip{c.Left, c.Right}, nil
	case "Replace":
		lit, re, err := c.patternOf()
		if err != nil {
			return nil, err
		}
		content, err := c.contentString()
		if err != nil {
			return nil, err
		}
		return replace{lit: lit, re: re, content: content}, nil
	}
	return nil, fmt.Errorf("normalizer %q is not supported", c.Type)
}

func parsePre(raw json.RawMessage, byteLevel *bool) (preTokenizer, error) {
	var c component
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, err
	}
	switch c.Type {
	case "Sequence":
		var q preSequence
		for i, r := range c.PreTokenizers {
			p, err := parsePre(r, byteLevel)
			if err != nil {
				return nil, fmt.Errorf("member %d of the sequence: %w", i, err)
			}
			q = append(q, p)
		}
		return q, nil
	case "Split":
		lit, re, err := c.patternOf()
		if err != nil {
			return nil, err
		}
		if re == nil {
			re = literalMatcher{lit}
		}
		b, err := parseBehavior(c.Behavior)
		if err != nil {
			return nil, err
		}
		return &splitPre{m: re, behavior: b, invert: c.Invert}, nil
	case "ByteLevel":
		*byteLevel = true
		p := &byteLevelPre{addPrefixSpace: c.AddPrefixSpace == nil || *c.AddPrefixSpace}
		if c.UseRegex == nil || *c.UseRegex {
			p.regex = &splitPre{m: knownSplitter(patternGPT2), behavior: isolated}
		}
		return p, nil
	case "Metaspace":
		p := &metaspacePre{repl: c.Replacement, scheme: c.PrependScheme, splitOn: c.Split == nil || *c.Split}
		if p.repl == "" {
			p.repl = "▁"
		}
		if p.scheme == "" {
			p.scheme = "always"
			if c.AddPrefixSpace != nil && !*c.AddPrefixSpace {
				p.scheme = "never"
			}
		}
		return p, nil
	case "Digits":
		return digitsPre(c.Individual), nil
	case "Whitespace":
		return whitespacePre(), nil
	case "WhitespaceSplit":
		return whitespaceSplitPre(), nil
	case "Punctuation":
		b := isolated
		if c.Behavior != "" {
			var err error
			if b, err = parseBehavior(c.Behavior); err != nil {
				return nil, err
			}
		}
		return punctuationPre(b), nil
	}
	return nil, fmt.Errorf("pre-tokenizer %q is not supported", c.Type)
}

func parseDecoder(raw json.RawMessage) (decoder, error) {
	var c component
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, err
	}
	switch c.Type {
	case "Sequence":
		q, err := parseSequence(c.Decoders, parseDecoder)
		if err != nil {
			return nil, err
		}
		return decSequence(q), nil
	case "ByteLevel":
		return byteLevelDec{}, nil
	case "ByteFallback":
		return byteFallbackDec{}, nil
	case "Fuse":
		return fuseDec{}, nil
	case "Strip":
		s, err := c.contentString()
		if err != nil {
			return nil, err
		}
		r, n := utf8.DecodeRuneInString(s)
		if n == 0 || n != len(s) {
			return nil, fmt.Errorf("decoder Strip: content %q is not one character", s)
		}
		return stripDec{content: r, start: c.Start, stop: c.Stop}, nil
	case "Replace":
		lit, re, err := c.patternOf()
		if err != nil {
			return nil, err
		}
		content, err := c.contentString()
		if err != nil {
			return nil, err
		}
		return replaceDec{replace{lit: lit, re: re, content: content}}, nil
	case "Metaspace":
		d := metaspaceDec{repl: c.Replacement, prepend: c.PrependScheme != "never"}
		if c.PrependScheme == "" && c.AddPrefixSpace != nil {
			d.prepend = *c.AddPrefixSpace
		}
		if d.repl == "" {
			d.repl = "▁"
		}
		return d, nil
	case "WordPiece":
		p := c.Prefix
		if p == "" {
			p = "##"
		}
		return wordPieceDec{prefix: p}, nil
	}
	return nil, fmt.Errorf("decoder %q is not supported", c.Type)
}

func parsePost(raw json.RawMessage, tokToID map[string]int, n int) (postProcessor, error) {
	var c component
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, err
	}
	switch c.Type {
	case "Sequence":
		var q postSequence
		for i, r := range c.Processors {
			p, err := parsePost(r, tokToID, n)
			if err != nil {
				return nil, fmt.Errorf("member %d of the sequence: %w", i, err)
			}
			q = append(q, p)
		}
		return q, nil
	case "ByteLevel":
		return noPost{}, nil
	case "TemplateProcessing":
		var t template
		seen := false
		for _, it := range c.Single {
			switch {
			case it.Sequence != nil:
				if it.Sequence.ID != "A" {
					return nil, fmt.Errorf("TemplateProcessing: single template uses sequence %q", it.Sequence.ID)
				}
				seen = true
			case it.SpecialToken != nil:
				st, ok := c.SpecialTokens[it.SpecialToken.ID]
				if !ok {
					return nil, fmt.Errorf("TemplateProcessing: special token %q is not in special_tokens", it.SpecialToken.ID)
				}
				for _, id := range st.IDs {
					if id < 0 || id >= n {
						return nil, fmt.Errorf("TemplateProcessing: special token %q has id %d outside the vocabulary", it.SpecialToken.ID, id)
					}
				}
				if seen {
					t.after = append(t.after, st.IDs...)
				} else {
					t.before = append(t.before, st.IDs...)
				}
			}
		}
		return t, nil
	case "RobertaProcessing", "BertProcessing":
		var clsTok, sepTok string
		if len(c.Cls) > 0 {
			_ = json.Unmarshal(c.Cls[0], &clsTok)
		}
		if len(c.Sep) > 0 {
			_ = json.Unmarshal(c.Sep[0], &sepTok)
		}
		ci, ok1 := tokToID[clsTok]
		si, ok2 := tokToID[sepTok]
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("%s: cls %q or sep %q is not a token", c.Type, clsTok, sepTok)
		}
		return template{before: []int{ci}, after: []int{si}}, nil
	}
	return nil, fmt.Errorf("post-processor %q is not supported", c.Type)
}
