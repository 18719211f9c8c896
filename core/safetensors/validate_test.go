package safetensors

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
)

func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, data, 0o644))
	return p
}

// TestValidation opens each hand-made broken file: each must fail with a
// *FormatError naming the file and the rule, never panic.
func TestValidation(t *testing.T) {
	for _, b := range brokenFiles() {
		t.Run(b.name, func(t *testing.T) {
			p := writeTemp(t, "broken.safetensors", b.data)
			_, err := Open(p)
			require.Error(t, err)
			assert.Contains(t, err.Error(), b.want)
			assert.Contains(t, err.Error(), p)
			var fe *FormatError
			require.ErrorAs(t, err, &fe)
			assert.ErrorIs(t, err, ErrFormat)
		})
	}
}

func TestErrorNamesTensor(t *testing.T) {
	p := writeTemp(t, "x.safetensors", build(`{"w.0":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, make([]byte, 4)))
	_, err := Open(p)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `tensor "w.0"`)
	assert.Contains(t, err.Error(), "TensorInvalidInfo")
}

// TestAccepted covers what the reference reader allows: whitespace before
// and after the object, null metadata, extra fields, empty and scalar
// tensors, sub-byte types filling whole bytes, and valid types lbrx
// cannot hold (listed, refused by Array with the dtype named).
func TestAccepted(t *testing.T) {
	hdr := " \t\r\n{\"__metadata__\":null,\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4],\"extra\":{\"x\":[1,2]}}," +
		"\"e\":{\"dtype\":\"I64\",\"shape\":[3,0],\"data_offsets\":[4,4]}," +
		"\"u\":{\"dtype\":\"U16\",\"shape\":[2],\"data_offsets\":[4,8]}," +
		"\"f4\":{\"dtype\":\"F4\",\"shape\":[2],\"data_offsets\":[8,9]}} \n\t "
	data := []byte{0, 0, 0x60, 0x40, 1, 0, 2, 0, 0x21}
	p := writeTemp(t, "ok.safetensors", build(hdr, data))
	f, err := Open(p)
	require.NoError(t, err)
	defer f.Close()
	assert.Equal(t, []string{"e", "f4", "s", "u"}, f.Names())
	assert.Empty(t, f.Metadata())
	s, err := Tensor[float32](f, "s")
	require.NoError(t, err)
	v, err := s.Values()
	require.NoError(t, err)
	assert.Equal(t, []float32{3.5}, v)
	e, err := f.Array("e")
	require.NoError(t, err)
	assert.Equal(t, core.Shape{3, 0}, e.Shape())
	for _, n := range []string{"u", "f4"} {
		info, _ := f.Info(n)
		_, err := f.Array(n)
		require.Error(t, err)
		assert.Contains(t, err.Error(), info.DType)
	}
	b, err := f.Bytes("u")
	require.NoError(t, err)
	assert.Equal(t, []byte{1, 0, 2, 0}, b)
	_, err = f.Array("missing")
	assert.ErrorContains(t, err, "no tensor \"missing\"")
}

// TestHugeClaimsAllocateNothing: a header claiming 2^63 bytes or a file of
// 2^62 tensors fails before allocating anything of that size.
func TestHugeClaimsAllocateNothing(t *testing.T) {
	for _, data := range [][]byte{
		withSize(1<<63, "{}"),
		withSize(99_999_999, "{}"),
		build(`{"a":{"dtype":"U8","shape":[4611686018427387904],"data_offsets":[0,4611686018427387904]}}`, nil),
	} {
		p := writeTemp(t, "huge.safetensors", data)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := Open(p)
		runtime.ReadMemStats(&after)
		require.Error(t, err)
		assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20), "bytes allocated by a rejected open")
	}
}

// TestMisalignedTensorIsCopied opens a file whose unpadded header (as MLX
// writes) leaves an F32 tensor at an odd file offset: Array copies it to
// aligned heap memory instead of building a misaligned view.
func TestMisalignedTensorIsCopied(t *testing.T) {
	hdr := `{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"b":{"dtype":"F32","shape":[2],"data_offsets":[1,9]}}`
	data := []byte{7, 0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0}
	p := writeTemp(t, "odd.safetensors", build(hdr, data))
	for _, mode := range []core.LoadMode{core.LoadAuto, core.LoadReadAt} {
		f, err := Open(p, WithLoadMode(mode))
		require.NoError(t, err)
		info, _ := f.Info("b")
		assert.NotZero(t, info.Offset%4, "the test needs a misaligned tensor")
		b, err := Tensor[float32](f, "b")
		require.NoError(t, err)
		v, err := b.Values()
		require.NoError(t, err)
		assert.Equal(t, []float32{1, -2}, v)
		_, isMapped := b.Array().Storage().(*core.Mapped)
		assert.False(t, isMapped, "a misaligned tensor must be copied")
		a, err := f.Array("a")
		require.NoError(t, err)
		if mode == core.LoadAuto && runtime.GOOS != "windows" && runtime.GOOS != "plan9" && runtime.GOOS != "js" && runtime.GOOS != "wasip1" {
			_, isMapped := a.Storage().(*core.Mapped)
			assert.True(t, isMapped, "an aligned tensor is a view of the mapping")
		}
		require.NoError(t, f.Close())
	}
}

func TestShardedIndexErrors(t *testing.T) {
	dir := t.TempDir()
	w := NewWriter()
	require.NoError(t, w.Add("a", patterned(t, core.F32, 4)))
	require.NoError(t, w.WriteSharded(dir, 1<<20))
	write := func(s string) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, IndexName), []byte(s), 0o644))
	}
	write(`{"weight_map":{"a":"../model-00001-of-00001.safetensors"}}`)
	_, err := Open(dir)
	require.ErrorContains(t, err, "not a plain file name")
	write(`{"weight_map":{"a":"model-00001-of-00001.safetensors","b":"model-00001-of-00001.safetensors"}}`)
	_, err = Open(dir)
	require.ErrorContains(t, err, `tensor "b" is mapped to model-00001-of-00001.safetensors, which does not hold it`)
	write(`{"weight_map":{}}`)
	_, err = Open(dir)
	require.ErrorContains(t, err, "weight_map")
	write(`{"weight_map":{"a":"model-00001-of-00001.safetensors"}}`)
	f, err := Open(filepath.Join(dir, IndexName))
	require.NoError(t, err)
	assert.Equal(t, []string{"a"}, f.Names())
	require.NoError(t, f.Close())
}

// TestEscapedNames: names with JSON escapes decode as serde_json decodes
// them, surrogate pairs included, and the writer round-trips them.
func TestEscapedNames(t *testing.T) {
	hdr := `{"\u00e9\ud83d\ude00\n\"\\\/":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`
	f, err := Open(writeTemp(t, "esc.safetensors", build(hdr, []byte{9})))
	require.NoError(t, err)
	name := "\u00e9\U0001F600\n\"\\/"
	assert.Equal(t, []string{name}, f.Names())
	a, err := f.Array(name)
	require.NoError(t, err)
	w := NewWriter()
	require.NoError(t, w.Add(name, a))
	p := filepath.Join(t.TempDir(), "w.safetensors")
	require.NoError(t, w.WriteFile(p))
	require.NoError(t, f.Close())
	g, err := Open(p)
	require.NoError(t, err)
	defer g.Close()
	b, err := g.Bytes(name)
	require.NoError(t, err)
	assert.Equal(t, []byte{9}, b)
}
