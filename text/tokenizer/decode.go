package tokenizer

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// decoder turns token strings into text pieces (Hugging Face's
// decode_chain: each step maps the whole list).
type decoder interface {
	decode(toks []string) []string
}

type byteLevelDec struct{}

func (byteLevelDec) decode(toks []string) []string {
	var b []byte
	for _, t := range toks {
		if raw, ok := byteLevelDecode(t); ok {
			b = append(b, raw...)
		} else {
			b = append(b, t...) // not byte-encoded (an added token): as is
		}
	}
	return []string{lossyUTF8(b)}
}

// lossyUTF8 replaces each maximal invalid subsequence with U+FFFD, as
// Rust's String::from_utf8_lossy does (Go's strings.ToValidUTF8 would
// replace a whole run of bad bytes with one).
func lossyUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r != utf8.RuneError || n != 1 {
			sb.Write(b[i : i+n])
			i += n
			continue
		}
		sb.WriteRune(utf8.RuneError)
		i += invalidPrefix(b[i:])
	}
	return sb.String()
}

// invalidPrefix is the length of the maximal prefix of b that starts a
// well-formed UTF-8 sequence but does not finish it (at least 1).
func invalidPrefix(b []byte) int {
	c := b[0]
	var need int
	lo, hi := byte(0x80), byte(0xBF)
	switch {
	case c >= 0xC2 && c <= 0xDF:
		need = 1
	case c >= 0xE0 && c <= 0xEF:
		need = 2
		switch c {
		case 0xE0:
			lo = 0xA0
		case 0xED:
			hi = 0x9F
		}
	case c >= 0xF0 && c <= 0xF4:
		need = 3
		switch c {
		case 0xF0:
			lo = 0x90
		case 0xF4:
			hi = 0x8F
		}
	default:
		return 1
	}
	i := 1
	for ; i <= need && i < len(b); i++ {
		if b[i] < lo || b[i] > hi {
			break
		}
		lo, hi = 0x80, 0xBF
	}
	return i
}

type byteFallbackDec struct{}

func byteToken(t string) (byte, bool) {
	if len(t) != 6 || !strings.HasPrefix(t, "<0x") || t[5] != '>' {
		return 0, false
	}
	v, err := strconv.ParseUint(t[3:5], 16, 8)
	return byte(v), err == nil
}

func (byteFallbackDec) decode(toks []string) []string {
	out := make([]string, 0, len(toks))
	var pend []byte
	flush := func() {
		if len(pend) == 0 {
			return
		}
		if utf8.Valid(pend) {
			out = append(out, string(pend))
		} else {
			for range pend {
				out = append(out, "\uFFFD")
			}
		}
		pend = pend[:0]
	}
	for _, t := range toks {
		if b, ok := byteToken(t); ok {
			pend = append(pend, b)
			continue
		}
		flush()
		out = append(out, t)
	}
	flush()
	return out
}

type fuseDec struct{}

func (fuseDec) decode(toks []string) []string { return []string{strings.Join(toks, "")} }

// stripDec removes up to start leading and stop trailing content runes
// from every token.
type stripDec struct {
	content     rune
	start, stop int
}

func (d stripDec) decode(toks []string) []string {
	out := make([]string, len(toks))
	for i, t := range toks {
		r := []rune(t)
		lo := 0
		for lo < d.start && lo < len(r) && r[lo] == d.content {
			lo++
		}
		hi := len(r)
		for k := 0; k < d.stop && hi > lo && r[hi-1] == d.content; k++ {
			hi--
		}
		out[i] = string(r[lo:hi])
	}
	return out
}

type replaceDec struct{ r replace }

func (d replaceDec) decode(toks []string) []string {
	out := make([]string, len(toks))
	for i, t := range toks {
		s, err := d.r.apply(t)
		if err != nil {
			s = t // a pattern that fails to run leaves the token as it is
		}
		out[i] = s
	}
	return out
}

// metaspaceDec turns the replacement rune back into spaces. Unless the
// scheme is "never", the first token loses its replacement runes instead
// (all of them, as the Rust library does: it is meant to drop the one the
// pre-tokenizer prepended).
type metaspaceDec struct {
	repl    string
	prepend bool
}

func (d metaspaceDec) decode(toks []string) []string {
	out := make([]string, len(toks))
	for i, t := range toks {
		with := " "
		if i == 0 && d.prepend {
			with = ""
		}
		out[i] = strings.ReplaceAll(t, d.repl, with)
	}
	return out
}

// wordPieceDec joins WordPiece tokens: a token with the prefix continues the
// word before it, any other starts a new word.
type wordPieceDec struct{ prefix string }

func (d wordPieceDec) decode(toks []string) []string {
	out := make([]string, len(toks))
	for i, t := range toks {
		if i > 0 {
			if strings.HasPrefix(t, d.prefix) {
				t = t[len(d.prefix):]
			} else {
				t = " " + t
			}
		}
		out[i] = t
	}
	return out
}

type decSequence []decoder

func (q decSequence) decode(toks []string) []string {
	for _, d := range q {
		toks = d.decode(toks)
	}
	return toks
}
