package main

import "strings"

// stopText streams generated text while watching for stop strings: it
// holds back any tail that could be the start of one, so a stop string
// is never printed, and cuts the text where the first one begins.
type stopText struct {
	stops   []string
	pending string
}

// push adds text and returns what can be printed now; stopped reports a
// stop string was found (the text before it is returned, the rest
// dropped).
func (s *stopText) push(text string) (out string, stopped bool) {
	s.pending += text
	cut := -1
	for _, st := range s.stops {
		if i := strings.Index(s.pending, st); i >= 0 && (cut < 0 || i < cut) {
			cut = i
		}
	}
	if cut >= 0 {
		out, s.pending = s.pending[:cut], ""
		return out, true
	}
	hold := 0
	for _, st := range s.stops {
		for l := min(len(st)-1, len(s.pending)); l > hold; l-- {
			if strings.HasSuffix(s.pending, st[:l]) {
				hold = l
				break
			}
		}
	}
	out = s.pending[:len(s.pending)-hold]
	s.pending = s.pending[len(s.pending)-hold:]
	return out, false
}

// flush returns the text held back at the end of a generation.
func (s *stopText) flush() string {
	out := s.pending
	s.pending = ""
	return out
}

// stringList is a repeatable string flag (--stop A --stop B).
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

func (l *stringList) Set(v string) error {
	*l = append(*l, v)
	return nil
}
