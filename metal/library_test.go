package metal

import (
	"encoding/json"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func shaderDir(t *testing.T, withLib bool, edit func(m *Manifest)) fstest.MapFS {
	t.Helper()
	srcs := map[string][]byte{
		"a.metal":  []byte("#include \"x.h\"\nkernel void a() {}\n"),
		"b.metal":  []byte("#include \"x.h\"\nkernel void b() {}\n"),
		"x.h":      []byte("#define X 1\n"),
		"README.x": []byte("not a source"),
	}
	fsys := fstest.MapFS{}
	for n, b := range srcs {
		fsys["shaders/"+n] = &fstest.MapFile{Data: b}
	}
	if withLib {
		lib := []byte("MTLB fake metallib")
		fsys["shaders/"+MetallibFile] = &fstest.MapFile{Data: lib}
		delete(srcs, "README.x")
		m := NewManifest(srcs, lib)
		if edit != nil {
			edit(&m)
		}
		raw, err := json.Marshal(m)
		require.NoError(t, err)
		fsys["shaders/"+ManifestFile] = &fstest.MapFile{Data: raw}
	}
	return fsys
}

func TestChooseLibraryMatchingMetallib(t *testing.T) {
	l, err := chooseLibrary(shaderDir(t, true, nil))
	require.NoError(t, err)
	assert.Empty(t, l.Reason)
	assert.Equal(t, []byte("MTLB fake metallib"), l.Metallib)
}

func TestChooseLibraryMissingMetallib(t *testing.T) {
	l, err := chooseLibrary(shaderDir(t, false, nil))
	require.NoError(t, err)
	assert.Nil(t, l.Metallib)
	assert.Contains(t, l.Reason, "no metallib")
	assert.Contains(t, l.Source, "kernel void a()")
}

func TestChooseLibraryStaleMetallib(t *testing.T) {
	cases := map[string]struct {
		edit func(m *Manifest)
		want string
	}{
		"source changed":   {func(m *Manifest) { m.Sources["a.metal"] = strings.Repeat("0", 64) }, "a.metal changed"},
		"header changed":   {func(m *Manifest) { m.Sources["x.h"] = strings.Repeat("1", 64) }, "x.h changed"},
		"source added":     {func(m *Manifest) { delete(m.Sources, "b.metal") }, "b.metal was added"},
		"source removed":   {func(m *Manifest) { m.Sources["gone.metal"] = "00" }, "gone.metal was removed"},
		"metallib swapped": {func(m *Manifest) { m.Metallib = "00" }, "does not match"},
		"other std":        {func(m *Manifest) { m.Std = "metal2.4" }, "metal2.4"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			l, err := chooseLibrary(shaderDir(t, true, c.edit))
			require.NoError(t, err)
			assert.Nil(t, l.Metallib)
			assert.Contains(t, l.Reason, c.want)
			assert.NotEmpty(t, l.Source)
		})
	}
}

func TestChooseLibraryBadManifest(t *testing.T) {
	fsys := shaderDir(t, true, nil)
	fsys["shaders/"+ManifestFile] = &fstest.MapFile{Data: []byte("{")}
	l, err := chooseLibrary(fsys)
	require.NoError(t, err)
	assert.Nil(t, l.Metallib)
	assert.Contains(t, l.Reason, "not valid JSON")
	delete(fsys, "shaders/"+ManifestFile)
	l, err = chooseLibrary(fsys)
	require.NoError(t, err)
	assert.Contains(t, l.Reason, "has no "+ManifestFile)
}

func TestCombineInlinesHeadersOnce(t *testing.T) {
	src, err := Combine(map[string][]byte{
		"a.metal": []byte("#include \"x.h\"\nA\n"),
		"b.metal": []byte("  #  include \"x.h\"\n#include <metal_stdlib>\nB\n"),
		"x.h":     []byte("#include \"y.h\"\nX\n"),
		"y.h":     []byte("Y"),
	})
	require.NoError(t, err)
	assert.Equal(t, 1, strings.Count(src, "\nX\n"))
	assert.Equal(t, 1, strings.Count(src, "Y\n"))
	assert.Less(t, strings.Index(src, "Y"), strings.Index(src, "X"))
	assert.Less(t, strings.Index(src, "X"), strings.Index(src, "A"))
	assert.Contains(t, src, "#include <metal_stdlib>")
	assert.NotContains(t, src, `"x.h"`)
}

func TestCombineRejectsMissingAndCyclicIncludes(t *testing.T) {
	_, err := Combine(map[string][]byte{"a.metal": []byte("#include \"nope.h\"\n")})
	require.ErrorContains(t, err, `a.metal includes "nope.h"`)
	_, err = Combine(map[string][]byte{
		"a.metal": []byte("#include \"x.h\"\n"),
		"x.h":     []byte("#include \"y.h\"\n"),
		"y.h":     []byte("#include \"x.h\"\n"),
	})
	require.ErrorContains(t, err, "include cycle")
}

func TestEmbeddedSourceHasEveryKernel(t *testing.T) {
	src, err := Source()
	require.NoError(t, err)
	assert.Contains(t, src, "struct MatmulParams")
	assert.Equal(t, 1, strings.Count(src, "#define LBRX_COMMON_H"))
	l, err := Load()
	require.NoError(t, err)
	assert.Equal(t, src, l.Source)
}
