package tokenizer

import (
	"unicode"
	"unicode/utf8"
)

// AddedToken is a token matched in the text before the model runs (Hugging
// Face's added_tokens; in GGUF vocabularies, control and user-defined
// tokens).
type AddedToken struct {
	ID      int
	Content string
	// Special tokens are dropped by Decode with skipSpecial.
	Special bool
	// LStrip and RStrip make the match swallow the whitespace before and
	// after it; SingleWord matches only between non-word characters;
	// Normalized matches it in the normalized text instead of the raw one.
	LStrip, RStrip, SingleWord, Normalized bool
}

// addedMatcher finds added tokens in text, leftmost-longest, as the
// Aho-Corasick automaton of the Rust library does. A byte trie with a
// first-byte filter: most positions cost one table look-up.
type addedMatcher struct {
	first  [256]bool
	nodes  []trieNode
	tokens []AddedToken
}

type trieNode struct {
	next map[byte]int32
	tok  int32 // index into tokens, -1 if no token ends here
}

func newAddedMatcher(toks []AddedToken) *addedMatcher {
	m := &addedMatcher{nodes: []trieNode{{tok: -1}}}
	for _, t := range toks {
		if t.Content == "" {
			continue
		}
		m.first[t.Content[0]] = true
		n := int32(0)
		for i := 0; i < len(t.Content); i++ {
			c := t.Content[i]
			nx, ok := m.nodes[n].next[c]
			if !ok {
				if m.nodes[n].next == nil {
					m.nodes[n].next = map[byte]int32{}
				}
				nx = int32(len(m.nodes))
				m.nodes[n].next[c] = nx
				m.nodes = append(m.nodes, trieNode{tok: -1})
			}
			n = nx
		}
		m.nodes[n].tok = int32(len(m.tokens))
		m.tokens = append(m.tokens, t)
	}
	return m
}

func (m *addedMatcher) empty() bool { return m == nil || len(m.tokens) == 0 }

// longestAt returns the longest token starting at i (index, end) or -1.
func (m *addedMatcher) longestAt(s string, i int) (int, int) {
	best, end := -1, 0
	n := int32(0)
	for j := i; j < len(s); j++ {
		nx, ok := m.nodes[n].next[s[j]]
		if !ok {
			break
		}
		n = nx
		if t := m.nodes[n].tok; t >= 0 {
			best, end = int(t), j+1
		}
	}
	return best, end
}

// segment is a piece of the input: text for the model, or an added token.
type segment struct {
	text string
	id   int // -1 for text
	// start says the text begins at the start of the whole input (what a
	// Metaspace pre-tokenizer with prepend_scheme "first" looks at).
	start bool
}

// split cuts s into text and token segments, appending to dst.
func (m *addedMatcher) split(s string, atStart bool, dst []segment) []segment {
	if m.empty() {
		return append(dst, segment{text: s, id: -1, start: atStart})
	}
	from := 0
	for i := 0; i < len(s); i++ {
		if !m.first[s[i]] {
			continue
		}
		ti, end := m.longestAt(s, i)
		if ti < 0 {
			continue
		}
		t := &m.tokens[ti]
		if t.SingleWord && (endsWithWord(s[:i]) || startsWithWord(s[end:])) {
			i = end - 1
			continue
		}
		lo, hi := i, end
		if t.LStrip {
			for lo > from {
				r, n := utf8.DecodeLastRuneInString(s[:lo])
				if !unicode.IsSpace(r) {
					break
				}
				lo -= n
			}
		}
		if t.RStrip {
			for hi < len(s) {
				r, n := utf8.DecodeRuneInString(s[hi:])
				if !unicode.IsSpace(r) {
					break
				}
				hi += n
			}
		}
		if lo > from {
			dst = append(dst, segment{text: s[from:lo], id: -1, start: atStart && from == 0})
		}
		dst = append(dst, segment{id: t.ID})
		from = hi
		i = hi - 1
	}
	if from < len(s) {
		dst = append(dst, segment{text: s[from:], id: -1, start: atStart && from == 0})
	}
	return dst
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }

func endsWithWord(s string) bool {
	r, n := utf8.DecodeLastRuneInString(s)
	return n > 0 && isWordRune(r)
}

func startsWithWord(s string) bool {
	r, n := utf8.DecodeRuneInString(s)
	return n > 0 && isWordRune(r)
}
