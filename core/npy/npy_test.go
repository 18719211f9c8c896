package npy

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/core/testfiles"
)

func TestReadTransformersReference(t *testing.T) {
	// Written by NumPy (transformers' logits for tiny-llama).
	a, err := ReadFile(filepath.Join(testfiles.Dir(t), "safetensors", "tiny-llama", "reference", "logits_f32.npy"))
	require.NoError(t, err)
	require.Equal(t, core.F32, a.DType())
	require.Equal(t, core.Shape{8, 256}, a.Shape())
}

func TestRoundTrip(t *testing.T) {
	x, err := core.FromSlice([]float32{1, -2, 3.5, 0, 5, 6}, 2, 3)
	require.NoError(t, err)
	i64, err := core.FromSlice([]int64{7, -8, 9}, 3)
	require.NoError(t, err)
	b, err := core.FromSlice([]bool{true, false}, 2, 1)
	require.NoError(t, err)
	s := core.Scalar[float64](2.5)
	for _, a := range []*core.Array{x.Array(), i64.Array(), b.Array(), s.Array()} {
		var buf bytes.Buffer
		require.NoError(t, Write(&buf, a))
		require.Zero(t, (buf.Len()-a.NumElements()*a.DType().Size())%64, "data starts 64-byte aligned")
		got, err := Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		require.NoError(t, err)
		require.Equal(t, a.Shape(), got.Shape())
		require.Equal(t, a.DType(), got.DType())
		wb, _ := a.Bytes()
		gb, _ := got.Bytes()
		require.Equal(t, wb, gb)
	}
	p := filepath.Join(t.TempDir(), "x.npy")
	require.NoError(t, WriteFile(p, x.Array()))
	got, err := ReadFile(p)
	require.NoError(t, err)
	require.Equal(t, core.Shape{2, 3}, got.Shape())
}

func TestWriteRefusesBFloat16(t *testing.T) {
	x, err := core.Zeros[core.BFloat16](2)
	require.NoError(t, err)
	require.ErrorContains(t, Write(&bytes.Buffer{}, x.Array()), "no NumPy element type")
}

func TestReadRejectsBadFiles(t *testing.T) {
	good := func(h string, data int) []byte {
		h += "\n"
		b := append([]byte(magic), 1, 0, byte(len(h)), byte(len(h)>>8))
		b = append(b, h...)
		return append(b, make([]byte, data)...)
	}
	cases := map[string]struct {
		b    []byte
		want string
	}{
		"magic":     {[]byte("NUMPY not really"), "magic"},
		"version":   {append([]byte(magic), 9, 0, 0, 0), "version"},
		"big":       {good("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", 8), "not supported"},
		"fortran":   {good("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", 8), "C order"},
		"short":     {good("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 8), "needs 24 data bytes"},
		"negative":  {good("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", 8), "non-negative"},
		"noshape":   {good("{'descr': '<f4', 'fortran_order': False, }", 8), "no 'shape'"},
		"huge":      {good("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000000, 1000000000000), }", 8), "npy"},
		"truncated": {append([]byte(magic), 1, 0, 0xff, 0xff), "header"},
	}
	for name, c := range cases {
		_, err := Read(bytes.NewReader(c.b), int64(len(c.b)))
		require.ErrorContains(t, err, c.want, name)
	}
	p := filepath.Join(t.TempDir(), "bad.npy")
	require.NoError(t, os.WriteFile(p, cases["fortran"].b, 0o600))
	_, err := ReadFile(p)
	require.ErrorContains(t, err, p)
}

// FuzzRead feeds arbitrary bytes to the reader: it must return an array
// or an error, never panic, and allocate no more than the input's size
// justifies (the data length is checked against the shape first).
func FuzzRead(f *testing.F) {
	x, _ := core.FromSlice([]float32{1, 2, 3}, 3)
	var buf bytes.Buffer
	_ = Write(&buf, x.Array())
	f.Add(buf.Bytes())
	f.Add([]byte(magic + "\x02\x00\x10\x00\x00\x00{'descr': '<i8'}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := Read(bytes.NewReader(b), int64(len(b)))
		if err == nil {
			require.LessOrEqual(t, a.NumElements()*a.DType().Size(), len(b))
		}
	})
}
