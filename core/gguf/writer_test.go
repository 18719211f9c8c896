package gguf

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/core/testfiles"
)

// TestWriterReproducesGGML rewrites files ggml's own writer made, from
// what the reader reads of them, and requires the same bytes: header,
// metadata encoding, tensor infos, offsets and padding.
func TestWriterReproducesGGML(t *testing.T) {
	for _, p := range []string{"ggml_reference.gguf", "ggml_reference_align64.gguf", filepath.Join("llamacpp-example", "dummy.gguf")} {
		t.Run(p, func(t *testing.T) {
			path := testfiles.Path(t, "gguf", p)
			want, err := os.ReadFile(path)
			require.NoError(t, err)
			f, err := Open(path)
			require.NoError(t, err)
			defer f.Close()
			w := NewWriter()
			for _, kv := range f.KVs() {
				require.NoError(t, w.Set(kv))
			}
			for _, ti := range f.Tensors() {
				name := ti.Name
				require.NoError(t, w.AddTensor(name, ti.Type, ti.Shape, func() ([]byte, error) { return f.Bytes(name) }))
			}
			var got bytes.Buffer
			n, err := w.WriteTo(&got)
			require.NoError(t, err)
			assert.Equal(t, int64(len(want)), n)
			require.True(t, bytes.Equal(want, got.Bytes()), "%s: rewritten file differs (%d vs %d bytes)", p, got.Len(), len(want))
		})
	}
}

// TestWriterRoundTrip writes every value type and several tensor types
// with sizes that need padding, and reads them back.
func TestWriterRoundTrip(t *testing.T) {
	w := NewWriter()
	kvs := []KV{
		{Key: "u8", Type: Uint8, Value: uint8(200)},
		{Key: "i8", Type: Int8, Value: int8(-5)},
		{Key: "u16", Type: Uint16, Value: uint16(60000)},
		{Key: "i16", Type: Int16, Value: int16(-30000)},
		{Key: "u32", Type: Uint32, Value: uint32(4e9)},
		{Key: "i32", Type: Int32, Value: int32(-2e9)},
		{Key: "f32", Type: Float32, Value: float32(1.5)},
		{Key: "bool", Type: Bool, Value: true},
		{Key: "str", Type: String, Value: "héllo"},
		{Key: "u64", Type: Uint64, Value: uint64(1 << 60)},
		{Key: "i64", Type: Int64, Value: int64(-1 << 60)},
		{Key: "f64", Type: Float64, Value: 2.25},
		{Key: "strs", Type: Array, ElemType: String, Value: []string{"a", "", "ccc"}},
		{Key: "i32s", Type: Array, ElemType: Int32, Value: []int32{1, -2, 3}},
		{Key: "f32s", Type: Array, ElemType: Float32, Value: []float32{}},
		{Key: "bools", Type: Array, ElemType: Bool, Value: []bool{true, false}},
		{Key: "u8s", Type: Array, ElemType: Uint8, Value: []uint8{1, 2}},
	}
	for _, kv := range kvs {
		require.NoError(t, w.Set(kv))
	}
	// Setting an existing key moves it to the end, as gguf_set_* does.
	require.NoError(t, w.Set(KV{Key: "u8", Type: Uint8, Value: uint8(7)}))
	kvs = append(kvs[1:], KV{Key: "u8", Type: Uint8, Value: uint8(7)})

	type tensor struct {
		name  string
		typ   Type
		shape core.Shape
	}
	tensors := []tensor{
		{"odd", F32, core.Shape{3}},
		{"q4", Q4_0, core.Shape{3, 64}},
		{"k", Q4K, core.Shape{2, 256}},
		{"h", F16, core.Shape{5, 1, 3}},
		{"empty", F32, core.Shape{0, 4}},
		{"q6", Q6K, core.Shape{1, 256}},
	}
	data := map[string][]byte{}
	for i, tn := range tensors {
		size := tn.shape.NumElements() / tn.typ.BlockSize() * tn.typ.BlockBytes()
		b := make([]byte, size)
		for j := range b {
			b[j] = byte(i*31 + j*7)
		}
		data[tn.name] = b
		require.NoError(t, w.AddTensor(tn.name, tn.typ, tn.shape, func() ([]byte, error) { return b, nil }))
	}
	path := filepath.Join(t.TempDir(), "rt.gguf")
	require.NoError(t, w.WriteFile(path))

	f, err := Open(path)
	require.NoError(t, err)
	defer f.Close()
	assert.Equal(t, uint32(3), f.Version())
	assert.Equal(t, kvs, f.KVs())
	got := f.Tensors()
	require.Len(t, got, len(tensors))
	for i, tn := range tensors {
		assert.Equal(t, tn.name, got[i].Name)
		assert.Equal(t, tn.typ, got[i].Type)
		assert.Equal(t, tn.shape, got[i].Shape)
		assert.Zero(t, got[i].Offset%DefaultAlignment, tn.name)
		b, err := f.Bytes(tn.name)
		require.NoError(t, err)
		assert.Equal(t, data[tn.name], b, tn.name)
	}
	assert.Equal(t, w.Tensors()[3].Offset, got[3].Offset)
}

func TestWriterAlignment(t *testing.T) {
	w := NewWriter()
	require.NoError(t, w.Set(KV{Key: AlignmentKey, Type: Uint32, Value: uint32(64)}))
	b := []byte{1, 2, 3, 4}
	require.NoError(t, w.AddTensor("a", F32, core.Shape{1}, func() ([]byte, error) { return b, nil }))
	require.NoError(t, w.AddTensor("b", F32, core.Shape{1}, func() ([]byte, error) { return b, nil }))
	path := filepath.Join(t.TempDir(), "a.gguf")
	require.NoError(t, w.WriteFile(path))
	f, err := Open(path)
	require.NoError(t, err)
	defer f.Close()
	assert.Zero(t, f.DataOffset()%64)
	ti, _ := f.Info("b")
	assert.Equal(t, int64(64), ti.Offset)
}

// TestWriterRejects: bad values, names, shapes and data sizes are errors
// naming the key or tensor; a failed WriteFile leaves nothing behind.
func TestWriterRejects(t *testing.T) {
	w := NewWriter()
	for _, tc := range []struct {
		kv   KV
		want string
	}{
		{KV{Key: "x", Type: Uint32, Value: 3}, `key "x": value int does not match type u32`},
		{KV{Key: "y", Type: Array, ElemType: String, Value: []int32{1}}, `key "y": value []int32 does not match an array of str`},
		{KV{Key: "z", Type: Array, ElemType: Array, Value: []string{}}, `key "z": array element type arr`},
		{KV{Key: "v", Type: ValueType(99), Value: 1}, `key "v": unknown value type 99`},
		{KV{Key: AlignmentKey, Type: Uint32, Value: uint32(48)}, "power of 2"},
		{KV{Type: Uint32, Value: uint32(1)}, "empty metadata key"},
	} {
		err := w.Set(tc.kv)
		require.Error(t, err)
		assert.Contains(t, err.Error(), tc.want)
	}
	ok := func() ([]byte, error) { return make([]byte, 4), nil }
	require.NoError(t, w.AddTensor("t", F32, core.Shape{1}, ok))
	for _, tc := range []struct {
		name  string
		typ   Type
		shape core.Shape
		want  string
	}{
		{"t", F32, core.Shape{1}, `tensor "t": duplicate`},
		{string(make([]byte, MaxNameLen)), F32, core.Shape{1}, "ggml's limit"},
		{"q", Q4_0, core.Shape{2, 33}, `tensor "q": 33 values are not a whole number of Q4_0 blocks`},
		{"d", F32, core.Shape{1, 1, 1, 1, 1}, `tensor "d": 5 dimensions`},
		{"n", F32, core.Shape{-1}, `tensor "n"`},
		{"u", NVFP4, core.Shape{64}, `tensor "u": ggml type NVFP4 has no known block layout`},
	} {
		err := w.AddTensor(tc.name, tc.typ, tc.shape, ok)
		require.Error(t, err, tc.name)
		assert.Contains(t, err.Error(), tc.want)
	}
	require.NoError(t, w.AddTensor("short", F32, core.Shape{2}, ok))
	path := filepath.Join(t.TempDir(), "bad.gguf")
	err := w.WriteFile(path)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `tensor "short": data is 4 bytes, its type F32 and shape [2] take 8`)
	entries, err := os.ReadDir(filepath.Dir(path))
	require.NoError(t, err)
	assert.Empty(t, entries)
}
