package tokenizer

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/lbrx/lbrx/text/tokenizer/internal/benchtext"
)

var (
	benchOnce             sync.Once
	benchEnglish, benchMx string
	errBenchTexts         error
)

// benchTexts generates the 1 MiB texts from the repository holding go.work.
func benchTexts(b *testing.B) (english, mixed string) {
	b.Helper()
	benchOnce.Do(func() {
		wd, err := os.Getwd()
		if err != nil {
			errBenchTexts = err
			return
		}
		for d := wd; ; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.work")); err == nil {
				benchEnglish, benchMx, errBenchTexts = benchtext.Generate(d)
				return
			}
			if filepath.Dir(d) == d {
				errBenchTexts = os.ErrNotExist
				return
			}
		}
	})
	if errBenchTexts != nil {
		b.Fatalf("generating the benchmark texts: %v", errBenchTexts)
	}
	return benchEnglish, benchMx
}

// BenchmarkEncode encodes 1 MiB of English and of mixed-script text with
// each shared tokenizer (the figures in text/README.md come from
// tokenizer/bench, which runs the same encode next to Hugging Face's).
func BenchmarkEncode(b *testing.B) {
	english, mixed := benchTexts(b)
	for _, name := range sharedTokenizers {
		tk := loadShared(b, name)
		for _, tc := range []struct{ name, text string }{{"english", english}, {"mixed", mixed}} {
			b.Run(name+"/"+tc.name, func(b *testing.B) {
				b.SetBytes(int64(len(tc.text)))
				for b.Loop() {
					if _, err := tk.Encode(tc.text, false); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkSplit compares the hand-written Llama 3 pre-tokenizer matcher
// with regexp2 running the same pattern (the choice text/README.md
// reports).
func BenchmarkSplit(b *testing.B) {
	english, mixed := benchTexts(b)
	re, err := compileRegexp(patternLlama3)
	if err != nil {
		b.Fatal(err)
	}
	for _, m := range []struct {
		name string
		m    matcher
	}{{"hand", knownSplitter(patternLlama3)}, {"regexp2", re}} {
		for _, tc := range []struct{ name, text string }{{"english", english}, {"mixed", mixed}} {
			b.Run(m.name+"/"+tc.name, func(b *testing.B) {
				b.SetBytes(int64(len(tc.text)))
				var dst [][2]int
				for b.Loop() {
					if dst, err = m.m.find(tc.text, dst[:0]); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
