package safetensors

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// jsonParser is a strict JSON reader for the header: RFC 8259 syntax, as
// serde_json accepts it (no comments, no trailing commas, no lone
// surrogates, nesting up to 128 levels). It is hand-written because
// headers of large models hold tens of thousands of entries and
// encoding/json's token API allocates for every token.
type jsonParser struct {
	b []byte
	i int
}

const maxDepth = 128 // serde_json's recursion limit

func (p *jsonParser) errorf(format string, a ...any) error {
	return fmt.Errorf("at byte %d: %s", p.i, fmt.Sprintf(format, a...))
}

func (p *jsonParser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// peek skips whitespace and returns the next byte (0 at the end).
func (p *jsonParser) peek() byte {
	p.ws()
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

func (p *jsonParser) expect(c byte) error {
	if p.peek() != c {
		if p.i >= len(p.b) {
			return p.errorf("unexpected end of header, expected %q", c)
		}
		return p.errorf("expected %q, found %q", c, p.b[p.i])
	}
	p.i++
	return nil
}

// next consumes ',' (true: another element follows) or the closing byte.
func (p *jsonParser) next(closing byte) (bool, error) {
	switch p.peek() {
	case ',':
		p.i++
		return true, nil
	case closing:
		p.i++
		return false, nil
	}
	if p.i >= len(p.b) {
		return false, p.errorf("unexpected end of header")
	}
	return false, p.errorf("expected ',' or %q, found %q", closing, p.b[p.i])
}

// str reads a string.
func (p *jsonParser) str() (string, error) {
	if err := p.expect('"'); err != nil {
		return "", err
	}
	start := p.i
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			s := string(p.b[start:p.i])
			p.i++
			return s, nil
		case c == '\\':
			return p.strSlow(start)
		case c < 0x20:
			return "", p.errorf("control character %#x in string", c)
		}
		p.i++
	}
	return "", p.errorf("unterminated string")
}

// strSlow decodes a string holding escapes, from its first byte at start.
func (p *jsonParser) strSlow(start int) (string, error) {
	out := append([]byte(nil), p.b[start:p.i]...)
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			return string(out), nil
		case c < 0x20:
			return "", p.errorf("control character %#x in string", c)
		case c != '\\':
			out = append(out, c)
			p.i++
			continue
		}
		if p.i+1 >= len(p.b) {
			return "", p.errorf("unterminated escape")
		}
		e := p.b[p.i+1]
		p.i += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, err := p.hex4()
			if err != nil {
				return "", err
			}
			if utf16.IsSurrogate(r) {
				if r >= 0xdc00 || p.i+1 >= len(p.b) || p.b[p.i] != '\\' || p.b[p.i+1] != 'u' {
					return "", p.errorf("lone surrogate in \\u escape")
				}
				p.i += 2
				r2, err := p.hex4()
				if err != nil {
					return "", err
				}
				if r = utf16.DecodeRune(r, r2); r == utf8.RuneError {
					return "", p.errorf("invalid surrogate pair in \\u escape")
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			return "", p.errorf("invalid escape \\%c", e)
		}
	}
	return "", p.errorf("unterminated string")
}

func (p *jsonParser) hex4() (rune, error) {
	if p.i+4 > len(p.b) {
		return 0, p.errorf("short \\u escape")
	}
	v, err := strconv.ParseUint(string(p.b[p.i:p.i+4]), 16, 32)
	if err != nil {
		return 0, p.errorf("invalid \\u escape %q", p.b[p.i:p.i+4])
	}
	p.i += 4
	return rune(v), nil
}

var errNotUint = errors.New("not an unsigned 64-bit integer")

// number scans a JSON number and returns its text.
func (p *jsonParser) number() ([]byte, error) {
	p.ws()
	start := p.i
	if p.i < len(p.b) && p.b[p.i] == '-' {
		p.i++
	}
	digits := func() int {
		n := 0
		for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	if p.i < len(p.b) && p.b[p.i] == '0' {
		p.i++
	} else if digits() == 0 {
		return nil, p.errorf("invalid number")
	}
	if p.i < len(p.b) && p.b[p.i] == '.' {
		p.i++
		if digits() == 0 {
			return nil, p.errorf("invalid number")
		}
	}
	if p.i < len(p.b) && (p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		p.i++
		if p.i < len(p.b) && (p.b[p.i] == '+' || p.b[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return nil, p.errorf("invalid number")
		}
	}
	return p.b[start:p.i], nil
}

// uint reads an unsigned integer (serde's usize: no sign, fraction or
// exponent).
func (p *jsonParser) uint() (uint64, error) {
	txt, err := p.number()
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseUint(string(txt), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s is %w", txt, errNotUint)
	}
	return v, nil
}

// uintArray reads an array of unsigned integers; want >= 0 fixes its length.
func (p *jsonParser) uintArray(want int) ([]uint64, error) {
	if err := p.expect('['); err != nil {
		return nil, err
	}
	out := []uint64{}
	if p.peek() == ']' {
		p.i++
	} else {
		for {
			v, err := p.uint()
			if err != nil {
				return nil, err
			}
			out = append(out, v)
			more, err := p.next(']')
			if err != nil {
				return nil, err
			}
			if !more {
				break
			}
		}
	}
	if want >= 0 && len(out) != want {
		return nil, fmt.Errorf("expected exactly %d values, found %d", want, len(out))
	}
	return out, nil
}

// skip reads and discards any value.
func (p *jsonParser) skip(depth int) error {
	if depth > maxDepth {
		return p.errorf("nesting deeper than %d levels", maxDepth)
	}
	switch c := p.peek(); c {
	case '"':
		_, err := p.str()
		return err
	case '{', '[':
		closing := byte('}')
		if c == '[' {
			closing = ']'
		}
		p.i++
		if p.peek() == closing {
			p.i++
			return nil
		}
		for {
			if c == '{' {
				if _, err := p.str(); err != nil {
					return err
				}
				if err := p.expect(':'); err != nil {
					return err
				}
			}
			if err := p.skip(depth + 1); err != nil {
				return err
			}
			more, err := p.next(closing)
			if err != nil || !more {
				return err
			}
		}
	case 't':
		return p.literal("true")
	case 'f':
		return p.literal("false")
	case 'n':
		return p.literal("null")
	}
	_, err := p.number()
	return err
}

func (p *jsonParser) literal(s string) error {
	if len(p.b)-p.i < len(s) || string(p.b[p.i:p.i+len(s)]) != s {
		return p.errorf("invalid literal")
	}
	p.i += len(s)
	return nil
}

// object reads an object, calling field for each key with the parser at
// the value.
func (p *jsonParser) object(what string, field func(key string) error) error {
	if p.peek() != '{' {
		return p.errorf("expected %s to be a JSON object", what)
	}
	p.i++
	if p.peek() == '}' {
		p.i++
		return nil
	}
	for {
		k, err := p.str()
		if err != nil {
			return err
		}
		if err := p.expect(':'); err != nil {
			return err
		}
		if err := field(k); err != nil {
			return err
		}
		more, err := p.next('}')
		if err != nil || !more {
			return err
		}
	}
}
