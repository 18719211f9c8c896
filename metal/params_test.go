package metal

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// layoutProgram prints sizeof and every named field's offsetof of each
// params struct, as the C++ compiler lays out shaders/lbrx_params.h.
func layoutProgram(structs map[string]reflect.Type) string {
	var b strings.Builder
	b.WriteString("#include <cstdio>\n#include <cstddef>\n#include \"lbrx_params.h\"\nint main() {\n")
	for c, t := range structs {
		fmt.Fprintf(&b, "  printf(\"%s.sizeof %%zu\\n\", sizeof(%s));\n", c, c)
		for i := range t.NumField() {
			f := t.Field(i)
			if f.Name == "_" {
				continue
			}
			fmt.Fprintf(&b, "  printf(\"%s.%s %%zu\\n\", offsetof(%s, %s));\n", c, cName(f), c, cName(f))
		}
	}
	b.WriteString("}\n")
	return b.String()
}

// cName is the header's name of a Go field (its c tag).
func cName(f reflect.StructField) string { return f.Tag.Get("c") }

func TestParamsMatchTheCHeader(t *testing.T) {
	cxx, err := exec.LookPath("g++")
	if err != nil {
		t.Skip("g++ not found (Debian package g++): cannot compare the params layout with lbrx_params.h")
	}
	structs := map[string]reflect.Type{
		"UnaryParams":     reflect.TypeFor[UnaryParams](),
		"BinaryParams":    reflect.TypeFor[BinaryParams](),
		"ReduceParams":    reflect.TypeFor[ReduceParams](),
		"MatmulParams":    reflect.TypeFor[MatmulParams](),
		"QuantParams":     reflect.TypeFor[QuantParams](),
		"RMSNormParams":   reflect.TypeFor[RMSNormParams](),
		"RoPEParams":      reflect.TypeFor[RoPEParams](),
		"AttentionParams": reflect.TypeFor[AttentionParams](),
		"ConcatParams":    reflect.TypeFor[ConcatParams](),
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "layout.cpp")
	require.NoError(t, os.WriteFile(src, []byte(layoutProgram(structs)), 0o600))
	exe := filepath.Join(dir, "layout")
	shaders, err := filepath.Abs("shaders")
	require.NoError(t, err)
	out, err := exec.Command(cxx, "-std=c++20", "-I", shaders, "-o", exe, src).CombinedOutput()
	require.NoError(t, err, "compiling the layout program: %s", out)
	out, err = exec.Command(exe).Output()
	require.NoError(t, err)
	got := map[string]string{}
	for line := range strings.Lines(string(out)) {
		k, v, _ := strings.Cut(strings.TrimSpace(line), " ")
		got[k] = v
	}
	for c, typ := range structs {
		assert.Equal(t, fmt.Sprint(typ.Size()), got[c+".sizeof"], "sizeof(%s)", c)
		for i := range typ.NumField() {
			f := typ.Field(i)
			if f.Name == "_" {
				continue
			}
			key := c + "." + cName(f)
			require.NotEmpty(t, cName(f), "%s.%s has no c tag", c, f.Name)
			assert.Equal(t, fmt.Sprint(f.Offset), got[key], "offsetof %s (Go %s)", key, f.Name)
		}
	}
}

func TestParamBytesAreLittleEndianAndSized(t *testing.T) {
	p := MatmulParams{M: 1, N: 2, K: 0x01020304, Flags: TransA | TransB}
	b := p.Bytes()
	require.Len(t, b, 48)
	assert.Equal(t, []byte{4, 3, 2, 1}, b[8:12])
	assert.Equal(t, byte(3), b[28])
	u := UnaryParams{Strides: [MaxRank]int32{-1}}
	ub := u.Bytes()
	require.Len(t, ub, 80)
	assert.Equal(t, []byte{0xff, 0xff, 0xff, 0xff}, ub[48:52])
}
