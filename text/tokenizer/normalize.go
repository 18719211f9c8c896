package tokenizer

import (
	"strings"

	"golang.org/x/text/unicode/norm"
)

// normalizer rewrites a text segment before pre-tokenization.
type normalizer interface {
	normalize(s string) (string, error)
}

type unicodeNorm struct{ form norm.Form }

func (n unicodeNorm) normalize(s string) (string, error) { return n.form.String(s), nil }

type lowercase struct{}

func (lowercase) normalize(s string) (string, error) { return strings.ToLower(s), nil }

// prepend adds its text to a non-empty segment.
type prepend struct{ s string }

func (p prepend) normalize(s string) (string, error) {
	if s == "" {
		return s, nil
	}
	return p.s + s, nil
}

// replace substitutes every match of a literal or a pattern.
type replace struct {
	lit     string  // used when re is nil
	re      matcher // pattern
	content string
}

func (r replace) normalize(s string) (string, error) { return r.apply(s) }

func (r replace) apply(s string) (string, error) {
	if r.re == nil {
		if r.lit == "" {
			return s, nil
		}
		return strings.ReplaceAll(s, r.lit, r.content), nil
	}
	m, err := r.re.find(s, nil)
	if err != nil || len(m) == 0 {
		return s, err
	}
	var b strings.Builder
	prev := 0
	for _, x := range m {
		b.WriteString(s[prev:x[0]])
		b.WriteString(r.content)
		prev = x[1]
	}
	b.WriteString(s[prev:])
	return b.String(), nil
}

// strip trims whitespace at either end.
type strip struct{ left, right bool }

func (st strip) normalize(s string) (string, error) {
	if st.left {
		s = strings.TrimLeftFunc(s, isSpace)
	}
	if st.right {
		s = strings.TrimRightFunc(s, isSpace)
	}
	return s, nil
}

type normSequence []normalizer

func (q normSequence) normalize(s string) (string, error) {
	var err error
	for _, n := range q {
		if s, err = n.normalize(s); err != nil {
			return s, err
		}
	}
	return s, nil
}
