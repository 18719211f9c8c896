package gguf

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
)

func writeTemp(t *testing.T, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "t.gguf")
	require.NoError(t, os.WriteFile(p, data, 0o644))
	return p
}

func TestValidation(t *testing.T) {
	for _, b := range brokenFiles() {
		t.Run(b.name, func(t *testing.T) {
			p := writeTemp(t, b.data)
			_, err := Open(p)
			require.Error(t, err)
			if strconv.IntSize == 32 && strings.Contains(err.Error(), "does not fit this platform's int") {
				return // on 32-bit targets huge dimensions fail earlier
			}
			assert.Contains(t, err.Error(), b.want)
			assert.Contains(t, err.Error(), p)
			assert.ErrorIs(t, err, ErrFormat)
		})
	}
}

func TestValidFile(t *testing.T) {
	for _, v := range []uint32{2, 3} {
		data := validFile()
		data[4] = byte(v)
		f, err := Open(writeTemp(t, data))
		require.NoError(t, err)
		assert.Equal(t, v, f.Version())
		a, ok := f.Info("a")
		require.True(t, ok)
		assert.Equal(t, int64(0), a.Offset)
		b, _ := f.Info("b")
		assert.Equal(t, core.Shape{2, 2}, b.Shape)
		assert.Equal(t, int64(32), b.Offset)
		kv, ok := f.Get(AlignmentKey)
		require.True(t, ok)
		assert.Equal(t, uint32(32), kv.Value)
		x, err := Tensor[float32](f, "b")
		require.NoError(t, err)
		assert.Equal(t, core.Shape{2, 2}, x.Shape())
		require.NoError(t, f.Close())
		_, err = f.Array("b")
		require.ErrorContains(t, err, "closed")
	}
	// A name of 63 bytes is allowed.
	b := head(3, 1, 0).tensor(string(bytes.Repeat([]byte("n"), MaxNameLen-1)), F32, 0, 1)
	_, err := Open(writeTemp(t, b.data(32, 4)))
	require.NoError(t, err)
}

// TestHugeClaimsAllocateNothing: a header claiming 2^62 tensors or a
// 2^63-byte string fails before allocating anything of that size.
func TestHugeClaimsAllocateNothing(t *testing.T) {
	for _, b := range brokenFiles() {
		switch b.name {
		case "2^62 tensors", "2^62 keys", "2^63-byte key", "2^63-byte string value", "2^62-element array", "2^62-string array":
		default:
			continue
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := parse("huge.gguf", bytes.NewReader(b.data), int64(len(b.data)))
		runtime.ReadMemStats(&after)
		require.Error(t, err, b.name)
		assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20), b.name)
	}
}

func TestDequantizeErrors(t *testing.T) {
	require.ErrorContains(t, Dequantize(IQ2XXS, make([]byte, 66), make([]float32, 256)), "IQ2_XXS is not supported")
	require.ErrorContains(t, Dequantize(Q8_0, make([]byte, 33), make([]float32, 32)), "need 34 bytes")
	require.ErrorContains(t, Dequantize(Q8_0, make([]byte, 34), make([]float32, 31)), "whole number")
	require.ErrorContains(t, Dequantize(Type(99), nil, nil), "not supported")
}
