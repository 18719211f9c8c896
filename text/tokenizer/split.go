package tokenizer

import (
	"fmt"
	"strings"

	"github.com/dlclark/regexp2/v2"
)

// matcher finds the non-overlapping matches of a split pattern, left to
// right, as byte ranges.
type matcher interface {
	find(s string, dst [][2]int) ([][2]int, error)
}

// compilePattern returns the hand-written matcher for a known pattern and
// a regexp2 matcher for any other.
func compilePattern(pattern string) (matcher, error) {
	if m := knownSplitter(pattern); m != nil {
		return m, nil
	}
	return compileRegexp(pattern)
}

type regexpMatcher struct{ re *regexp2.Regexp }

func compileRegexp(pattern string) (*regexpMatcher, error) {
	re, err := regexp2.Compile(pattern, regexp2.Unicode)
	if err != nil {
		return nil, fmt.Errorf("pattern %q: %w", pattern, err)
	}
	return &regexpMatcher{re}, nil
}

func (m *regexpMatcher) find(s string, dst [][2]int) ([][2]int, error) {
	idx, err := m.re.FindAllStringIndex(s, -1)
	if err != nil {
		return dst, fmt.Errorf("pattern %q: %w", m.re.String(), err)
	}
	for _, p := range idx {
		if p[1] > p[0] { // an empty match splits nothing
			dst = append(dst, [2]int{p[0], p[1]})
		}
	}
	return dst, nil
}

// literalMatcher matches a fixed string.
type literalMatcher struct{ lit string }

func (m literalMatcher) find(s string, dst [][2]int) ([][2]int, error) {
	if m.lit == "" {
		return dst, nil
	}
	for i := 0; ; {
		j := strings.Index(s[i:], m.lit)
		if j < 0 {
			return dst, nil
		}
		dst = append(dst, [2]int{i + j, i + j + len(m.lit)})
		i += j + len(m.lit)
	}
}

// splitBehavior is what Split does with the matched ranges.
type splitBehavior int

const (
	isolated           splitBehavior = iota // matches and the text between are pieces
	removed                                 // the matches are dropped
	mergedWithPrevious                      // a match ends the piece before it
	mergedWithNext                          // a match starts the piece after it
	contiguous                              // consecutive matches form one piece
)

func parseBehavior(s string) (splitBehavior, error) {
	switch s {
	case "Isolated":
		return isolated, nil
	case "Removed":
		return removed, nil
	case "MergedWithPrevious":
		return mergedWithPrevious, nil
	case "MergedWithNext":
		return mergedWithNext, nil
	case "Contiguous":
		return contiguous, nil
	}
	return 0, fmt.Errorf("unknown split behavior %q", s)
}

// splitPieces cuts s by the matches m (sorted, disjoint) and appends the
// pieces to dst. invert swaps the roles of matches and the text between.
func splitPieces(s string, m [][2]int, b splitBehavior, invert bool, dst []string) []string {
	// spans alternate: (text, isMatch).
	type span struct {
		lo, hi int
		match  bool
	}
	var spans []span
	prev := 0
	for _, r := range m {
		if r[0] > prev {
			spans = append(spans, span{prev, r[0], invert})
		}
		spans = append(spans, span{r[0], r[1], !invert})
		prev = r[1]
	}
	if prev < len(s) {
		spans = append(spans, span{prev, len(s), invert})
	}
	switch b {
	case isolated:
		for _, sp := range spans {
			dst = append(dst, s[sp.lo:sp.hi])
		}
	case removed:
		for _, sp := range spans {
			if !sp.match {
				dst = append(dst, s[sp.lo:sp.hi])
			}
		}
	case mergedWithPrevious:
		lo := -1
		for _, sp := range spans {
			if sp.match && lo >= 0 {
				dst = append(dst, s[lo:sp.hi])
				lo = -1
				continue
			}
			if lo >= 0 {
				dst = append(dst, s[lo:sp.lo])
			}
			lo = sp.lo
			if sp.match {
				dst = append(dst, s[sp.lo:sp.hi])
				lo = -1
			}
		}
		if lo >= 0 {
			dst = append(dst, s[lo:])
		}
	case mergedWithNext:
		lo := -1
		for _, sp := range spans {
			if sp.match {
				if lo >= 0 {
					dst = append(dst, s[lo:sp.lo])
				}
				lo = sp.lo
				continue
			}
			if lo < 0 {
				lo = sp.lo
			}
			dst = append(dst, s[lo:sp.hi])
			lo = -1
		}
		if lo >= 0 {
			dst = append(dst, s[lo:])
		}
	case contiguous:
		lo, inMatch := -1, false
		for _, sp := range spans {
			if sp.match && inMatch {
				continue
			}
			if lo >= 0 {
				dst = append(dst, s[lo:sp.lo])
			}
			lo, inMatch = sp.lo, sp.match
		}
		if lo >= 0 {
			dst = append(dst, s[lo:])
		}
	}
	return dst
}
