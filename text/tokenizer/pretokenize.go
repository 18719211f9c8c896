package tokenizer

import (
	"strings"
	"unicode"
)

// piece is a pre-tokenized part of a segment.
type piece struct {
	s string
	// start: the piece begins where the whole input begins.
	start bool
}

// preTokenizer splits pieces into smaller ones, appending to dst.
type preTokenizer interface {
	split(in []piece, dst []piece) ([]piece, error)
}

// splitPre is the Split pre-tokenizer (and the regex step of others).
type splitPre struct {
	m        matcher
	behavior splitBehavior
	invert   bool
}

func (p *splitPre) split(in []piece, dst []piece) ([]piece, error) {
	var ranges [][2]int
	var parts []string
	for _, pc := range in {
		var err error
		ranges, err = p.m.find(pc.s, ranges[:0])
		if err != nil {
			return dst, err
		}
		parts = splitPieces(pc.s, ranges, p.behavior, p.invert, parts[:0])
		for i, s := range parts {
			dst = append(dst, piece{s: s, start: pc.start && i == 0})
		}
	}
	return dst, nil
}

// byteLevelPre is the ByteLevel pre-tokenizer: an optional leading space
// and the GPT-2 split. The byte-to-rune mapping itself is left out: the
// model works on raw bytes (see bpe.vocab).
type byteLevelPre struct {
	addPrefixSpace bool
	regex          *splitPre // nil when use_regex is false
}

func (p *byteLevelPre) split(in []piece, dst []piece) ([]piece, error) {
	if p.addPrefixSpace {
		tmp := make([]piece, len(in))
		for i, pc := range in {
			if !strings.HasPrefix(pc.s, " ") {
				pc.s = " " + pc.s
			}
			tmp[i] = pc
		}
		in = tmp
	}
	if p.regex == nil {
		return append(dst, in...), nil
	}
	return p.regex.split(in, dst)
}

// metaspacePre replaces spaces with the replacement rune, prepends one as
// the scheme says and splits before each.
type metaspacePre struct {
	repl    string
	scheme  string // always, first, never
	splitOn bool
}

func (p *metaspacePre) split(in []piece, dst []piece) ([]piece, error) {
	for _, pc := range in {
		s := strings.ReplaceAll(pc.s, " ", p.repl)
		if !strings.HasPrefix(s, p.repl) && (p.scheme == "always" || (p.scheme == "first" && pc.start)) {
			s = p.repl + s
		}
		if !p.splitOn {
			dst = append(dst, piece{s: s, start: pc.start})
			continue
		}
		parts := splitPieces(s, mustFind(literalMatcher{p.repl}, s), mergedWithNext, false, nil)
		for i, x := range parts {
			dst = append(dst, piece{s: x, start: pc.start && i == 0})
		}
	}
	return dst, nil
}

func mustFind(m literalMatcher, s string) [][2]int {
	r, _ := m.find(s, nil) // a literal search cannot fail
	return r
}

// funcMatcher matches maximal runs of runes that satisfy the class
// function; runs of different classes are separate matches.
type funcMatcher struct {
	class func(r rune) int // 0: not matched; equal non-zero classes join
}

func (f funcMatcher) find(s string, dst [][2]int) ([][2]int, error) {
	lo, cur := -1, 0
	for i, r := range s {
		c := f.class(r)
		if c != cur || c == -1 {
			if cur != 0 && lo >= 0 {
				dst = append(dst, [2]int{lo, i})
			}
			lo, cur = i, c
		}
	}
	if cur != 0 && lo >= 0 {
		dst = append(dst, [2]int{lo, len(s)})
	}
	return dst, nil
}

// digitsPre isolates digits (each one, or runs).
func digitsPre(individual bool) preTokenizer {
	return &splitPre{m: funcMatcher{class: func(r rune) int {
		if !unicode.IsDigit(r) {
			return 0
		}
		if individual {
			return -1
		}
		return 1
	}}, behavior: isolated}
}

// whitespacePre is \w+|[^\w\s]+ with whitespace removed.
func whitespacePre() preTokenizer {
	return &splitPre{m: funcMatcher{class: func(r rune) int {
		switch {
		case unicode.IsSpace(r):
			return 0
		case r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.M, r):
			return 1
		}
		return 2
	}}, behavior: removed, invert: true}
}

// whitespaceSplitPre splits on whitespace and drops it.
func whitespaceSplitPre() preTokenizer {
	return &splitPre{m: funcMatcher{class: func(r rune) int {
		if unicode.IsSpace(r) {
			return 0
		}
		return 1
	}}, behavior: removed, invert: true}
}

// punctuationPre isolates each punctuation rune.
func punctuationPre(b splitBehavior) preTokenizer {
	return &splitPre{m: funcMatcher{class: func(r rune) int {
		if unicode.IsPunct(r) || (r < 0x80 && unicode.IsSymbol(r)) {
			return -1
		}
		return 0
	}}, behavior: b}
}

type preSequence []preTokenizer

func (q preSequence) split(in []piece, dst []piece) ([]piece, error) {
	cur := in
	for i, p := range q {
		var out []piece
		if i == len(q)-1 {
			out = dst
		}
		var err error
		if out, err = p.split(cur, out); err != nil {
			return dst, err
		}
		cur = out
	}
	if len(q) == 0 {
		return append(dst, in...), nil
	}
	return cur, nil
}

// singleWordSplit returns the hand-written splitter when p does nothing
// but split with it: Split(pattern, Isolated), alone or followed by a
// ByteLevel step that adds no space and no split (the byte mapping is the
// model's business here), or a ByteLevel step with its GPT-2 split.
func singleWordSplit(p preTokenizer) *wordSplitter {
	isWords := func(p preTokenizer) *wordSplitter {
		if sp, ok := p.(*splitPre); ok && sp.behavior == isolated && !sp.invert {
			if ws, ok := sp.m.(*wordSplitter); ok {
				return ws
			}
		}
		if bl, ok := p.(*byteLevelPre); ok && !bl.addPrefixSpace && bl.regex != nil {
			if ws, ok := bl.regex.m.(*wordSplitter); ok {
				return ws
			}
		}
		return nil
	}
	passive := func(p preTokenizer) bool {
		bl, ok := p.(*byteLevelPre)
		return ok && !bl.addPrefixSpace && bl.regex == nil
	}
	if q, ok := p.(preSequence); ok {
		var ws *wordSplitter
		for _, x := range q {
			switch {
			case passive(x):
			case ws == nil && isWords(x) != nil:
				ws = isWords(x)
			default:
				return nil
			}
		}
		return ws
	}
	return isWords(p)
}
