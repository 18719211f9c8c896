package tokenizer

import "strings"

// wordSplitter is a hand-written matcher for the pre-tokenizer patterns of
// GPT-2 and of Llama 3 / Qwen2 (the patterns nearly every byte-level BPE
// uses). It finds exactly the matches the regular expression finds under
// leftmost-first alternation, and runs without backtracking:
//
//	gpt2:   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//	llama3: (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//
// (Qwen2's is llama3 with \p{N} for \p{N}{1,3}.)
type wordSplitter struct {
	llama3    bool // the llama3 family; false: gpt2
	foldCase  bool // contractions match in any case ((?i:...) or [sS] in the pattern)
	maxDigits int  // llama3 family: \p{N}{1,maxDigits}
	// foldLongS: (?i:...) under Oniguruma's Unicode case folding, where
	// U+017F LATIN SMALL LETTER LONG S folds to s, so 'ſ is a contraction
	// ([sS], llama.cpp's spelling, has no such fold).
	foldLongS bool
}

const (
	patternGPT2   = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
	patternLlama3 = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	patternQwen2  = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	// llama.cpp spells the case-insensitive contractions out.
	patternLlama3Cased = `(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	patternQwen2Cased  = `(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
)

// knownSplitter returns the hand-written matcher for a pattern it
// implements exactly, or nil.
func knownSplitter(pattern string) matcher {
	switch pattern {
	case patternGPT2, `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)`:
		// Without the final \s+ the lone whitespace rune it would match is
		// left unmatched, which an isolating split emits as the same piece.
		return &wordSplitter{}
	case patternLlama3:
		return &wordSplitter{llama3: true, foldCase: true, maxDigits: 3, foldLongS: true}
	case patternLlama3Cased:
		return &wordSplitter{llama3: true, foldCase: true, maxDigits: 3}
	case patternQwen2:
		return &wordSplitter{llama3: true, foldCase: true, maxDigits: 1, foldLongS: true}
	case patternQwen2Cased:
		return &wordSplitter{llama3: true, foldCase: true, maxDigits: 1}
	}
	return nil
}

func (w *wordSplitter) find(s string, dst [][2]int) ([][2]int, error) {
	for i := 0; i < len(s); {
		n := w.matchAt(s, i)
		dst = append(dst, [2]int{i, i + n})
		i += n
	}
	return dst, nil
}

// contraction returns the length of 's 't 're 've 'm 'll 'd at i, or 0.
func (w *wordSplitter) contraction(s string, i int) int {
	if i+1 >= len(s) || s[i] != '\'' {
		return 0
	}
	lower := func(c byte) byte {
		if w.foldCase && c >= 'A' && c <= 'Z' {
			return c + 32
		}
		return c
	}
	switch lower(s[i+1]) {
	case 's', 't', 'm', 'd':
		return 2
	}
	if w.foldLongS && strings.HasPrefix(s[i+1:], "ſ") {
		return 1 + len("ſ")
	}
	if i+2 < len(s) {
		switch string([]byte{lower(s[i+1]), lower(s[i+2])}) {
		case "re", "ve", "ll":
			return 3
		}
	}
	return 0
}

// run returns the end of the run of runes satisfying f from i.
func run(s string, i int, f func(rune) bool) int {
	for i < len(s) {
		r, n := runeAt(s, i)
		if !f(r) {
			break
		}
		i += n
	}
	return i
}

// spaces handles \s*[\r\n]+ (llama3 only), \s+(?!\S) and \s+ at a
// whitespace rune: it returns the match length.
func (w *wordSplitter) spaces(s string, i int) int {
	end, last, lastNL := i, i, -1
	for end < len(s) {
		r, n := runeAt(s, end)
		if !isSpace(r) {
			break
		}
		if isNewline(r) {
			lastNL = end + n
		}
		last = end
		end += n
	}
	if w.llama3 && lastNL >= 0 {
		return lastNL - i
	}
	if end == len(s) || last == i {
		return end - i
	}
	return last - i // \s+(?!\S): leave the last space to the word after it
}

func (w *wordSplitter) matchAt(s string, i int) int {
	if n := w.contraction(s, i); n > 0 {
		return n
	}
	c, cn := runeAt(s, i)
	if w.llama3 {
		if isLetter(c) {
			return run(s, i, isLetter) - i
		}
		if !isNewline(c) && !isNumber(c) {
			if r, _ := runeAt(s, i+cn); isLetter(r) {
				return run(s, i+cn, isLetter) - i
			}
		}
		if isNumber(c) {
			j := i
			for k := 0; k < w.maxDigits && j < len(s); k++ {
				r, n := runeAt(s, j)
				if !isNumber(r) {
					break
				}
				j += n
			}
			return j - i
		}
		j := i
		if c == ' ' {
			j++
		}
		if r, _ := runeAt(s, j); j < len(s) && isOther(r) {
			return run(s, run(s, j, isOther), isNewline) - i
		}
		if isSpace(c) {
			return w.spaces(s, i)
		}
		return cn // unreachable: every rune is a letter, number, space or other
	}
	j := i
	if c == ' ' {
		j++
	}
	if j < len(s) {
		r, _ := runeAt(s, j)
		switch {
		case isLetter(r):
			return run(s, j, isLetter) - i
		case isNumber(r):
			return run(s, j, isNumber) - i
		case isOther(r):
			return run(s, j, isOther) - i
		}
	}
	if isSpace(c) {
		return w.spaces(s, i)
	}
	return cn
}
