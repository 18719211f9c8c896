package tokenizer

import (
	"unicode"
	"unicode/utf8"
)

// Character classes as Oniguruma (the Rust tokenizers library's regex
// engine) defines them: \s is Unicode White_Space (U+0085 NEL included,
// U+FEFF BOM not), \p{L} the letter categories, \p{N} the number ones.
// ASCII is answered without table look-ups because it dominates real text.

func isLetter(r rune) bool {
	if r < utf8.RuneSelf {
		return (r|0x20) >= 'a' && (r|0x20) <= 'z'
	}
	return unicode.IsLetter(r)
}

func isNumber(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= '0' && r <= '9'
	}
	return unicode.IsNumber(r)
}

func isSpace(r rune) bool {
	if r < utf8.RuneSelf {
		return r == ' ' || (r >= '\t' && r <= '\r')
	}
	return unicode.Is(unicode.White_Space, r)
}

// isOther is [^\s\p{L}\p{N}]; an invalid UTF-8 byte (decoded as
// utf8.RuneError) counts as other, as U+FFFD would.
func isOther(r rune) bool { return !isSpace(r) && !isLetter(r) && !isNumber(r) }

func isNewline(r rune) bool { return r == '\r' || r == '\n' }

// runeAt decodes the rune at byte i of s (RuneError, 0 at the end).
func runeAt(s string, i int) (rune, int) {
	if i >= len(s) {
		return utf8.RuneError, 0
	}
	if c := s[i]; c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeRuneInString(s[i:])
}
