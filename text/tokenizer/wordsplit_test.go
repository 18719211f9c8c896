package tokenizer

import (
	"bufio"
	"encoding/json"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/lbrx/lbrx/core/testfiles"
)

// The hand-written matchers must find exactly what a backtracking engine
// finds for the same pattern (regexp2, whose \s, \p{L} and \p{N} are the
// Unicode classes Oniguruma uses).
func TestWordSplitterMatchesRegexp(t *testing.T) {
	inputs := sharedCases(t)
	// Random strings over the characters the patterns care about.
	alphabet := []rune("aZé文3٣ⅷ '\"sStTrReEvVmMlLdD.,!-_\t\n\r\u0085\u00a0\u2028\u3000\ufeff\u200d😀\u0301\x00")
	rng := rand.New(rand.NewPCG(1, 2))
	for range 3000 {
		n := rng.IntN(24)
		var b strings.Builder
		for range n {
			b.WriteRune(alphabet[rng.IntN(len(alphabet))])
		}
		inputs = append(inputs, b.String())
	}
	inputs = append(inputs, "\xff\xfe ab\xc3", "a\x80 b", "'S'Ll'VE", "x  \n  y", "   ", "\n\n \n")
	for _, pat := range []string{patternGPT2, patternLlama3, patternQwen2, patternLlama3Cased, patternQwen2Cased} {
		hand := knownSplitter(pat)
		if ws := hand.(*wordSplitter); ws.foldLongS {
			// regexp2 folds case the .NET way (no ſ -> s); compare without
			// the fold, which TestLongSFold covers.
			c := *ws
			c.foldLongS = false
			hand = &c
		}
		re, err := compileRegexp(pat)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range inputs {
			got, _ := hand.find(s, nil)
			want, err := re.find(s, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("pattern %s on %q:\n hand   %v\n regexp %v", pat, s, got, want)
			}
		}
	}
}

func sharedCases(t *testing.T) []string {
	t.Helper()
	f, err := os.Open(testfiles.Path(t, "tokenizers", "cases.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var s string
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// Under Oniguruma's Unicode case folding (CaseFolding.txt: 017F; C; 0073)
// (?i:'s) matches 'ſ, so "'ſtop" splits after it; llama.cpp's '[sS] does
// not, and there "'ſtop" is one word.
func TestLongSFold(t *testing.T) {
	got, _ := knownSplitter(patternLlama3).find("x'ſtop", nil)
	if want := [][2]int{{0, 1}, {1, 4}, {4, 7}}; !slices.Equal(got, want) {
		t.Errorf("(?i:'s) on x'ſtop: %v, want %v", got, want)
	}
	got, _ = knownSplitter(patternLlama3Cased).find("x'ſtop", nil)
	if want := [][2]int{{0, 1}, {1, 7}}; !slices.Equal(got, want) {
		t.Errorf("'[sS] on x'ſtop: %v, want %v", got, want)
	}
}
