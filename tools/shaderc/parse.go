package main

import (
	"fmt"
	"regexp"
	"strings"
)

// kernelFunc is one `kernel void name(...)` of a preprocessed source.
type kernelFunc struct {
	Name   string
	File   string
	Params []kernelParam
}

// kernelParam is one parameter: its C type text, name and [[attribute]].
type kernelParam struct {
	Type string
	Name string
	Attr string // e.g. "buffer(3)", "thread_position_in_grid"
}

var (
	kernelRe = regexp.MustCompile(`\bkernel\s+void\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(`)
	attrRe   = regexp.MustCompile(`\[\[\s*([^\]]*?)\s*\]\]`)
	identRe  = regexp.MustCompile(`([A-Za-z_][A-Za-z0-9_]*)\s*$`)
)

// parseKernels finds every kernel function of preprocessed MSL text.
func parseKernels(file, text string) ([]kernelFunc, error) {
	var out []kernelFunc
	for _, m := range kernelRe.FindAllStringSubmatchIndex(text, -1) {
		name := text[m[2]:m[3]]
		open := m[1] - 1
		depth, end := 0, -1
		for i := open; i < len(text); i++ {
			switch text[i] {
			case '(':
				depth++
			case ')':
				depth--
			}
			if depth == 0 {
				end = i
				break
			}
		}
		if end < 0 {
			return nil, fmt.Errorf("%s: kernel %s: unbalanced parameter list", file, name)
		}
		k := kernelFunc{Name: name, File: file}
		for _, p := range splitTopLevel(text[open+1 : end]) {
			p = strings.TrimSpace(p)
			if p == "" {
				continue
			}
			am := attrRe.FindStringSubmatchIndex(p)
			if am == nil {
				return nil, fmt.Errorf("%s: kernel %s: parameter %q has no [[attribute]]", file, name, p)
			}
			decl := strings.TrimSpace(p[:am[0]])
			im := identRe.FindStringSubmatchIndex(decl)
			if im == nil {
				return nil, fmt.Errorf("%s: kernel %s: cannot read parameter %q", file, name, p)
			}
			k.Params = append(k.Params, kernelParam{
				Type: strings.TrimSpace(decl[:im[2]]),
				Name: decl[im[2]:im[3]],
				Attr: strings.Join(strings.Fields(p[am[2]:am[3]]), ""),
			})
		}
		out = append(out, k)
	}
	return out, nil
}

// splitTopLevel splits a parameter list at commas outside (), <> and [].
func splitTopLevel(s string) []string {
	var parts []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(', '<', '[':
			depth++
		case ')', '>', ']':
			depth--
		case ',':
			if depth == 0 {
				parts = append(parts, s[start:i])
				start = i + 1
			}
		}
	}
	return append(parts, s[start:])
}

// builtins maps position attributes to the emulator's Coords fields.
var builtins = map[string]struct {
	field  string
	vector bool
}{
	"thread_position_in_grid":        {"C.gid", true},
	"threadgroup_position_in_grid":   {"C.tgid", true},
	"thread_position_in_threadgroup": {"C.tid", true},
	"threads_per_threadgroup":        {"C.tptg", true},
	"threadgroups_per_grid":          {"C.tgpg", true},
	"thread_index_in_threadgroup":    {"C.linear", false},
	"simdgroup_index_in_threadgroup": {"C.sg", false},
	"thread_index_in_simdgroup":      {"C.lane", false},
	"simdgroups_per_threadgroup":     {"C.nsg", false},
	"threads_per_simdgroup":          {"32u", false},
	"thread_execution_width":         {"32u", false},
}

var indexAttrRe = regexp.MustCompile(`^(buffer|threadgroup)\((\d+)\)$`)

// wrapper returns the C++ entry point that calls k with its arguments taken
// from an emulator Launch and Coords, and registers it by name.
func wrapper(k kernelFunc) (string, error) {
	var args []string
	for _, p := range k.Params {
		var arg string
		if m := indexAttrRe.FindStringSubmatch(p.Attr); m != nil {
			src := "L.buf[" + m[2] + "]"
			if m[1] == "threadgroup" {
				src = "L.tg[" + m[2] + "]"
			}
			switch {
			case strings.HasSuffix(p.Type, "&"):
				arg = fmt.Sprintf("*(%s*)%s", strings.TrimSuffix(p.Type, "&"), src)
			case strings.HasSuffix(p.Type, "*"):
				arg = fmt.Sprintf("(%s)%s", p.Type, src)
			default:
				return "", fmt.Errorf("%s: kernel %s: [[%s]] parameter %s must be a pointer or reference", k.File, k.Name, p.Attr, p.Name)
			}
		} else if b, ok := builtins[p.Attr]; ok {
			if b.vector {
				arg = fmt.Sprintf("lbrx_pos<%s>(%s)", p.Type, b.field)
			} else {
				arg = fmt.Sprintf("(%s)(%s)", p.Type, b.field)
			}
		} else {
			return "", fmt.Errorf("%s: kernel %s: attribute [[%s]] of %s is not emulated", k.File, k.Name, p.Attr, p.Name)
		}
		args = append(args, arg)
	}
	return fmt.Sprintf("static void lbrx_entry_%[1]s(const lbrx_emu::Launch& L, const lbrx_emu::Coords& C) {\n"+
		"    (void)L; (void)C;\n    %[1]s(%[2]s);\n}\n"+
		"static lbrx_emu::Registrar lbrx_reg_%[1]s(%[3]q, lbrx_entry_%[1]s);\n",
		k.Name, strings.Join(args, ",\n        "), k.Name), nil
}
