package chat

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/ardanlabs/jinja"
)

// toJSONFilter is the name templates' tojson filter is renamed to (see
// rewriteFilters): transformers replaces Jinja's tojson by Python's
// json.dumps(x, ensure_ascii=False, indent=None, separators=None,
// sort_keys=False), and this is that function. The engine's own tojson
// differs in two ways that change prompts: with indent it sorts object
// keys, and it prints 1.0 as 1.
const toJSONFilter = "lbrx_tojson"

// maxJSONDepth bounds the nesting tojson follows (Python's recursion
// limit is of the same order).
const maxJSONDepth = 512

var toJSONValue = jinja.NewCallable(toJSONFilter, func(args []jinja.Value, kwargs map[string]jinja.Value) (jinja.Value, error) {
	if len(args) == 0 {
		return jinja.Undefined(), fmt.Errorf("tojson: no value")
	}
	o := dumpOptions{item: ", ", key: ": "}
	// Positional arguments after the value follow json.dumps' order as
	// transformers declares it: ensure_ascii, indent, separators, sort_keys.
	names := []string{"ensure_ascii", "indent", "separators", "sort_keys"}
	opts := map[string]jinja.Value{}
	for i, a := range args[1:] {
		if i >= len(names) {
			return jinja.Undefined(), fmt.Errorf("tojson: too many arguments")
		}
		opts[names[i]] = a
	}
	for k, v := range kwargs {
		if !slices.Contains(names, k) {
			return jinja.Undefined(), fmt.Errorf("tojson: unexpected keyword argument %q", k)
		}
		opts[k] = v
	}
	o.ascii = opts["ensure_ascii"].IsTruthy()
	o.sortKeys = opts["sort_keys"].IsTruthy()
	if v, ok := opts["indent"]; ok && !v.IsNone() && !v.IsUndefined() {
		switch {
		case v.IsInt():
			o.indent = strings.Repeat(" ", int(max(0, min(v.AsInt(), 64))))
		case v.IsString():
			o.indent = v.AsString()
		default:
			return jinja.Undefined(), fmt.Errorf("tojson: indent must be an integer or a string")
		}
		o.indented = true
		o.item = "," // json.dumps' default separators with an indent
	}
	if v, ok := opts["separators"]; ok && !v.IsNone() && !v.IsUndefined() {
		if !v.IsList() || v.AsList().Len() != 2 || !v.AsList().Get(0).IsString() || !v.AsList().Get(1).IsString() {
			return jinja.Undefined(), fmt.Errorf("tojson: separators must be two strings")
		}
		o.item, o.key = v.AsList().Get(0).AsString(), v.AsList().Get(1).AsString()
	}
	var sb strings.Builder
	if err := o.dump(&sb, args[0], 0); err != nil {
		return jinja.Undefined(), fmt.Errorf("tojson: %w", err)
	}
	return jinja.NewString(sb.String()), nil
})

type dumpOptions struct {
	ascii, sortKeys, indented bool
	indent, item, key         string
}

func (o *dumpOptions) newline(sb *strings.Builder, depth int) {
	if o.indented {
		sb.WriteByte('\n')
		for range depth {
			sb.WriteString(o.indent)
		}
	}
}

// dump writes v as Python's json.dumps does.
func (o *dumpOptions) dump(sb *strings.Builder, v jinja.Value, depth int) error {
	if depth > maxJSONDepth {
		return fmt.Errorf("nested deeper than %d levels", maxJSONDepth)
	}
	switch {
	case v.IsNone():
		sb.WriteString("null")
	case v.IsBool():
		sb.WriteString(strconv.FormatBool(v.AsBool()))
	case v.IsInt():
		sb.WriteString(strconv.FormatInt(v.AsInt(), 10))
	case v.IsFloat():
		sb.WriteString(pyFloat(v.AsFloat()))
	case v.IsString():
		o.str(sb, v.AsString())
	case v.IsList():
		items := v.AsList().Items
		if len(items) == 0 {
			sb.WriteString("[]")
			return nil
		}
		sb.WriteByte('[')
		for i, it := range items {
			if i > 0 {
				sb.WriteString(o.item)
			}
			o.newline(sb, depth+1)
			if err := o.dump(sb, it, depth+1); err != nil {
				return err
			}
		}
		o.newline(sb, depth)
		sb.WriteByte(']')
	case v.IsDict():
		d := v.AsDict()
		if d.Len() == 0 {
			sb.WriteString("{}")
			return nil
		}
		keys := d.Keys
		if o.sortKeys {
			keys = slices.Sorted(slices.Values(keys))
		}
		sb.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				sb.WriteString(o.item)
			}
			o.newline(sb, depth+1)
			o.str(sb, k)
			sb.WriteString(o.key)
			if err := o.dump(sb, d.Data[k], depth+1); err != nil {
				return err
			}
		}
		o.newline(sb, depth)
		sb.WriteByte('}')
	case v.IsUndefined():
		return fmt.Errorf("an undefined value is not JSON serializable")
	default:
		return fmt.Errorf("a callable is not JSON serializable")
	}
	return nil
}

// str writes a JSON string as Python does: \" \\ \n \r \t \b \f, other
// control characters as \u00XX, and with ensure_ascii every non-ASCII
// character as \uXXXX (UTF-16 surrogates above U+FFFF).
func (o *dumpOptions) str(sb *strings.Builder, s string) {
	const hex = "0123456789abcdef"
	u := func(r rune) {
		sb.WriteString(`\u`)
		for shift := 12; shift >= 0; shift -= 4 {
			sb.WriteByte(hex[(r>>uint(shift))&0xf])
		}
	}
	sb.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			sb.WriteString(`\"`)
		case '\\':
			sb.WriteString(`\\`)
		case '\n':
			sb.WriteString(`\n`)
		case '\r':
			sb.WriteString(`\r`)
		case '\t':
			sb.WriteString(`\t`)
		case '\b':
			sb.WriteString(`\b`)
		case '\f':
			sb.WriteString(`\f`)
		default:
			switch {
			case r < 0x20:
				u(r)
			case o.ascii && r > 0x7e:
				if r > 0xffff {
					hi, lo := utf16.EncodeRune(r)
					u(hi)
					u(lo)
				} else {
					u(r)
				}
			default:
				sb.WriteRune(r)
			}
		}
	}
	sb.WriteByte('"')
}

// pyFloat formats f as Python's repr (which json.dumps uses): the
// shortest digits that read back, positional from 1e-4 up to 1e16 with
// ".0" on whole numbers, else scientific with a two-digit exponent.
func pyFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	if f == 0 {
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	if a := math.Abs(f); a >= 1e16 || a < 1e-4 {
		return strconv.FormatFloat(f, 'e', -1, 64) // 1e+16, 1.5e-05
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsAny(s, ".") {
		s += ".0"
	}
	return s
}
