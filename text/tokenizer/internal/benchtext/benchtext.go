// Package benchtext generates the texts lbrx's tokenizer throughput is
// measured on, deterministically from the repository (no downloads): 1 MiB
// of English (the repository's Markdown and Go comments) and 1 MiB of
// mixed-script text.
package benchtext

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"
)

// Generate returns the English and the mixed-script text for the
// repository at root.
func Generate(root string) (english, mixed string, err error) {
	corpus, err := englishCorpus(root)
	if err != nil {
		return "", "", err
	}
	return fill(func(i int) string { return corpus[i%len(corpus)] }), mixedText(corpus), nil
}

// Size is the size of each text in bytes (the mixed text may be up to 3
// bytes shorter: it ends on a whole character).
const Size = 1 << 20

// englishCorpus returns the repository's English prose as paragraphs:
// Markdown files and the comment text of Go files, sorted by path.
func englishCorpus(root string) ([]string, error) {
	var paths []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == ".devbin" || d.Name() == "testdata" || d.Name() == "shared") {
			return filepath.SkipDir
		}
		if strings.HasSuffix(p, ".md") || strings.HasSuffix(p, ".go") {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	var paras []string
	for _, p := range paths {
		b, err := os.ReadFile(p) //nolint:gosec // the repository's own files
		if err != nil {
			return nil, err
		}
		var cur []string
		flush := func() {
			if len(cur) > 0 {
				paras = append(paras, strings.Join(cur, "\n")+"\n\n")
				cur = cur[:0]
			}
		}
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasSuffix(p, ".go") {
				t := strings.TrimSpace(l)
				if !strings.HasPrefix(t, "//") || strings.HasPrefix(t, "//go:") || strings.HasPrefix(t, "//nolint") {
					flush()
					continue
				}
				l = strings.TrimSpace(strings.TrimPrefix(t, "//"))
			}
			if strings.TrimSpace(l) == "" {
				flush()
				continue
			}
			cur = append(cur, l)
		}
		flush()
	}
	if len(paras) == 0 {
		return nil, errors.New("no English text found under " + root)
	}
	return paras, nil
}

// fill concatenates next(0), next(1), ... up to Size bytes, cut at a
// rune boundary.
func fill(next func(i int) string) string {
	var b strings.Builder
	for i := 0; b.Len() < Size; i++ {
		b.WriteString(next(i))
	}
	s := b.String()[:Size]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// script is a writing system for the mixed text: letter ranges, how many
// letters a word takes and whether words are separated by spaces.
type script struct {
	name         string
	ranges       [][2]rune
	minLen, maxL int
	spaces       bool
	stop         string
}

var scripts = []script{
	{"cyrillic", [][2]rune{{0x430, 0x44F}}, 2, 9, true, ". "},
	{"greek", [][2]rune{{0x3B1, 0x3C9}}, 2, 9, true, ". "},
	{"chinese", [][2]rune{{0x4E00, 0x62FF}}, 1, 3, false, "。"},
	{"japanese", [][2]rune{{0x3041, 0x3093}, {0x30A1, 0x30F3}, {0x4E00, 0x5FFF}}, 2, 5, false, "。"},
	{"korean", [][2]rune{{0xAC00, 0xB7FF}}, 1, 4, true, ". "},
	{"arabic", [][2]rune{{0x627, 0x64A}}, 2, 7, true, ". "},
	{"devanagari", [][2]rune{{0x915, 0x939}, {0x93E, 0x94C}}, 2, 7, true, "। "},
	{"thai", [][2]rune{{0xE01, 0xE2E}, {0xE30, 0xE39}}, 2, 8, false, " "},
	{"emoji", [][2]rune{{0x1F600, 0x1F64F}, {0x1F680, 0x1F6C5}}, 1, 2, true, " "},
}

// mixedText alternates English paragraphs with paragraphs in the other
// scripts. Each script has a fixed list of 400 words; a paragraph draws
// 40-80 of them with a skewed (Zipf-like) choice, as text repeats its
// common words.
func mixedText(corpus []string) string {
	rng := rand.New(rand.NewPCG(2026, 16)) //nolint:gosec // a reproducible text, not a secret
	words := make([][]string, len(scripts))
	for i, sc := range scripts {
		for range 400 {
			n := sc.minLen + rng.IntN(sc.maxL-sc.minLen+1)
			var w []rune
			for range n {
				r := sc.ranges[rng.IntN(len(sc.ranges))]
				w = append(w, r[0]+rune(rng.IntN(int(r[1]-r[0]+1))))
			}
			words[i] = append(words[i], string(w))
		}
	}
	zipf := rand.NewZipf(rand.New(rand.NewPCG(7, 7)), 1.07, 1, 399) //nolint:gosec // reproducible
	return fill(func(i int) string {
		if i%2 == 0 {
			return corpus[(i/2)%len(corpus)]
		}
		sc := scripts[(i/2)%len(scripts)]
		ws := words[(i/2)%len(scripts)]
		var b strings.Builder
		n := 40 + rng.IntN(41)
		for k := range n {
			b.WriteString(ws[zipf.Uint64()])
			switch {
			case k%12 == 11:
				b.WriteString(sc.stop)
			case k%17 == 16:
				fmt.Fprintf(&b, " %d ", rng.IntN(100000))
			case sc.spaces:
				b.WriteByte(' ')
			}
		}
		b.WriteString("\n\n")
		return b.String()
	})
}
