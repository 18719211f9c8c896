package quant

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/core/gguf"
	"github.com/lbrx/lbrx/core/testfiles"
)

// TestGGUFBlocksInterop takes Q8_0/Q4_0/Q4_1 tensors as core/gguf loads
// them from ggml's own file (raw blocks with QuantizationInfo) through
// Dequantize, BlocksToAffine and MatMul.
func TestGGUFBlocksInterop(t *testing.T) {
	dir := filepath.Join(testfiles.Dir(t), "gguf")
	for _, file := range []string{"ggml_reference.gguf", "ggml_reference_align64.gguf"} {
		f, err := gguf.Open(filepath.Join(dir, file))
		require.NoError(t, err)
		n := 0
		for _, info := range f.Tensors() {
			if info.Type != gguf.Q8_0 && info.Type != gguf.Q4_0 && info.Type != gguf.Q4_1 {
				continue
			}
			n++
			a, err := f.Array(info.Name)
			require.NoError(t, err, info.Name)
			require.NotNil(t, a.Quant(), info.Name)
			ref := readRefF32(t, info.Name+".f32")

			d, err := Dequantize(a)
			require.NoError(t, err, info.Name)
			dv, err := float32s(d)
			require.NoError(t, err)
			require.Len(t, dv, len(ref))
			for i := range ref {
				require.Equalf(t, math.Float32bits(ref[i]), math.Float32bits(dv[i]), "%s value %d", info.Name, i)
			}

			aff, err := BlocksToAffine(a, core.F32)
			require.NoError(t, err, info.Name)
			av := dequantValues(t, aff)
			for i := range ref {
				require.Equalf(t, ref[i], av[i], "%s value %d", info.Name, i)
			}

			// One row of ones through the matmul sums each weight row.
			k := info.Shape[len(info.Shape)-1]
			rows := len(ref) / k
			w2, err := a.Reshape(rows, a.Shape()[a.Rank()-1])
			require.NoError(t, err)
			ones, err := core.Full[float32](1, 1, k)
			require.NoError(t, err)
			y, err := MatMul(ones.Array(), w2)
			require.NoError(t, err, info.Name)
			yv, err := float32s(y)
			require.NoError(t, err)
			abs := absTerms(t, w2, k)
			for r := range rows {
				var sum, mag float64
				for c, v := range ref[r*k : (r+1)*k] {
					sum += float64(v)
					mag += abs[r*k+c]
				}
				require.InDelta(t, sum, float64(yv[r]), float64(k+40)*0x1p-24*mag, "%s row %d", info.Name, r)
			}
		}
		require.Positive(t, n, file)
		require.NoError(t, f.Close())
	}
}
