package chat

import "strings"

// rewriteFilters renames the filter tojson to toJSONFilter wherever a
// template applies it ("| tojson", "|tojson(indent=4)") and turns
// "d.items()" into "d|items", leaving text, comments, raw blocks and
// string literals alone. The engine's filters
// cannot be replaced, but a filter it does not know is looked up among
// the template's variables, where Render puts transformers' version.
func rewriteFilters(src string) string {
	var sb strings.Builder
	sb.Grow(len(src) + 64)
	i := 0
	for i < len(src) {
		j := strings.IndexByte(src[i:], '{')
		if j < 0 || i+j+1 >= len(src) {
			sb.WriteString(src[i:])
			break
		}
		j += i
		sb.WriteString(src[i:j])
		switch src[j+1] {
		case '#':
			end := strings.Index(src[j+2:], "#}")
			if end < 0 {
				sb.WriteString(src[j:])
				return sb.String()
			}
			end += j + 4
			sb.WriteString(src[j:end])
			i = end
		case '{', '%':
			closer := "}}"
			if src[j+1] == '%' {
				closer = "%}"
			}
			end := codeEnd(src, j+2, closer)
			code := src[j:end]
			if src[j+1] == '%' && isRawTag(code) {
				stop := rawEnd(src, end)
				sb.WriteString(src[j:stop])
				i = stop
				continue
			}
			sb.WriteString(renameInCode(code))
			i = end
		default:
			sb.WriteByte('{')
			i = j + 1
		}
	}
	return sb.String()
}

// codeEnd returns the index just past closer, skipping string literals,
// or len(src) when the tag is not closed (the engine reports that).
func codeEnd(src string, i int, closer string) int {
	for i < len(src) {
		switch c := src[i]; {
		case c == '\'' || c == '"':
			i = stringEnd(src, i)
		case strings.HasPrefix(src[i:], closer):
			return i + len(closer)
		default:
			i++
		}
	}
	return len(src)
}

// stringEnd returns the index just past the string literal opening at i.
func stringEnd(src string, i int) int {
	q := src[i]
	for i++; i < len(src); i++ {
		switch src[i] {
		case '\\':
			i++
		case q:
			return i + 1
		}
	}
	return len(src)
}

func isRawTag(code string) bool {
	s := strings.Trim(code[2:len(code)-2], "-+ \t\r\n")
	return s == "raw"
}

// rawEnd returns the index just past the {% endraw %} closing a raw block
// that starts at i.
func rawEnd(src string, i int) int {
	for i < len(src) {
		j := strings.Index(src[i:], "{%")
		if j < 0 {
			return len(src)
		}
		j += i
		end := codeEnd(src, j+2, "%}")
		if strings.Trim(src[j+2:end-2], "-+ \t\r\n") == "endraw" {
			return end
		}
		i = j + 2
	}
	return len(src)
}

// renameInCode rewrites one tag's code (see rewriteFilters).
func renameInCode(code string) string {
	var sb strings.Builder
	i := 0
	for i < len(code) {
		switch c := code[i]; {
		case c == '\'' || c == '"':
			e := stringEnd(code, i)
			sb.WriteString(code[i:e])
			i = e
		case c == '.' && strings.HasPrefix(code[i:], ".items()") && i > 0 && (isIdent(code[i-1]) || code[i-1] == ')' || code[i-1] == ']') &&
			!followedByPostfix(code, i+len(".items()")):
			// dict.items() -> dict|items: the engine looks a dict's keys up
			// before its methods, so a JSON schema with an "items" key
			// (every array parameter) hides the method; Jinja's items
			// filter gives the same pairs. A following subscript or
			// attribute keeps the call, as the filter would bind them
			// differently.
			sb.WriteString("|items")
			i += len(".items()")
		case c == '|':
			j := i + 1
			for j < len(code) && (code[j] == ' ' || code[j] == '\t' || code[j] == '\n' || code[j] == '\r') {
				j++
			}
			if strings.HasPrefix(code[j:], "tojson") && (j+6 == len(code) || !isIdent(code[j+6])) {
				sb.WriteString(code[i:j])
				sb.WriteString(toJSONFilter)
				i = j + len("tojson")
				continue
			}
			sb.WriteByte(c)
			i++
		default:
			sb.WriteByte(c)
			i++
		}
	}
	return sb.String()
}

func isIdent(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// followedByPostfix reports a subscript, attribute or call at code[i].
func followedByPostfix(code string, i int) bool {
	return i < len(code) && (code[i] == '[' || code[i] == '.' || code[i] == '(')
}
