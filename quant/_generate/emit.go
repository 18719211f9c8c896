package main

import (
	"fmt"
	"strings"
)

// file collects the text of one assembly file. The generators write the
// exact spacing of the committed files: operands are aligned by hand in
// the format strings, not by a formatter, so a diff against the
// committed file shows only real changes.
type file struct {
	b strings.Builder
}

// i writes one instruction line: a tab, then the formatted text.
func (f *file) i(format string, args ...any) {
	f.b.WriteByte('\t')
	fmt.Fprintf(&f.b, format, args...)
	f.b.WriteByte('\n')
}

// label writes a label line.
func (f *file) label(name string) {
	f.b.WriteString(name)
	f.b.WriteString(":\n")
}

// raw writes text as is; a leading newline of a raw string literal is
// dropped so blocks can start on their own line in the source.
func (f *file) raw(text string) {
	f.b.WriteString(strings.TrimPrefix(text, "\n"))
}

// line writes one unindented line (comments, directives, blank lines).
func (f *file) line(format string, args ...any) {
	fmt.Fprintf(&f.b, format, args...)
	f.b.WriteByte('\n')
}

// comment writes a block of // comment lines, one per element of text
// split on newlines; an empty line becomes a bare //.
func (f *file) comment(text string) {
	for _, l := range strings.Split(strings.Trim(text, "\n"), "\n") {
		if l == "" {
			f.b.WriteString("//\n")
			continue
		}
		f.b.WriteString("// ")
		f.b.WriteString(l)
		f.b.WriteByte('\n')
	}
}

// text returns the file; the blank line each function leaves after
// itself is dropped at the end of the file.
func (f *file) text() string {
	return strings.TrimRight(f.b.String(), "\n") + "\n"
}

var sprintf = fmt.Sprintf
