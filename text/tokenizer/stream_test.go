package tokenizer

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// Streaming the expected ids one at a time gives the same text as Decode,
// in chunks that are each valid UTF-8 (no half characters), and emoji split
// over byte tokens come out whole.
func TestStreamingDecoder(t *testing.T) {
	for _, name := range sharedTokenizers {
		t.Run(name, func(t *testing.T) {
			tk := loadShared(t, name)
			for i, e := range readExpected(t, name) {
				for _, skip := range []bool{false, true} {
					d := tk.NewDecoder(skip)
					var b strings.Builder
					for _, id := range e.IDsSpecial {
						s, err := d.Add(id)
						if err != nil {
							t.Fatal(err)
						}
						if !utf8.ValidString(s) {
							t.Fatalf("case %d: chunk %q is not valid UTF-8", i+1, s)
						}
						if strings.Contains(s, "\uFFFD") && !strings.Contains(e.Text, "\uFFFD") {
							t.Fatalf("case %d: chunk %q holds a replacement character the text does not", i+1, s)
						}
						b.WriteString(s)
					}
					s, err := d.Flush()
					if err != nil {
						t.Fatal(err)
					}
					b.WriteString(s)
					want, err := tk.Decode(e.IDsSpecial, skip)
					if err != nil {
						t.Fatal(err)
					}
					if b.String() != want {
						t.Fatalf("case %d (skip %v): streamed %q, Decode %q", i+1, skip, b.String(), want)
					}
				}
			}
		})
	}
}
