package quant

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core/testfiles"
)

// readRef reads a file from shared/testdata/gguf/ref.
func readRef(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testfiles.Dir(t), "gguf", "ref", name))
	require.NoError(t, err)
	return b
}

func readRefF32(t testing.TB, name string) []float32 {
	t.Helper()
	b := readRef(t, name)
	require.Zero(t, len(b)%4, name)
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

func readRefU16(t testing.TB, name string) []uint16 {
	t.Helper()
	b := readRef(t, name)
	require.Zero(t, len(b)%2, name)
	out := make([]uint16, len(b)/2)
	for i := range out {
		out[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return out
}
