package quant

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/core/gguf"
)

// The fast block decoders (assembly where the CPU has it; the F16/BF16
// row converters) give core/gguf's reference values bit for bit, on runs
// of 0 to 9 blocks of random bytes (every code and sign, random f16
// scales including subnormals, infinities and NaNs) and on all-zero and
// all-0xff blocks.
func TestBlockDecodersMatchReference(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for s, dec := range blockDecoders {
		typ := ggmlSchemes[s].typ
		bb, bv := BlockBytes(s), BlockValues(s)
		for nb := range 10 {
			for _, fill := range []int{-1, 0, 0xff} {
				src := make([]byte, nb*bb)
				for i := range src {
					if fill < 0 {
						src[i] = byte(r.Uint32())
					} else {
						src[i] = byte(fill)
					}
				}
				want := make([]float32, nb*bv)
				require.NoError(t, gguf.Dequantize(typ, src, want))
				got := make([]float32, nb*bv+1)
				got[nb*bv] = 42 // the decoder must not write past its blocks
				dec(src, got[:nb*bv])
				for i := range want {
					wb, gb := math.Float32bits(want[i]), math.Float32bits(got[i])
					if math.IsNaN(float64(want[i])) {
						require.Truef(t, math.IsNaN(float64(got[i])), "%s nb=%d value %d: %g, want NaN", s, nb, i, got[i])
						continue
					}
					require.Equalf(t, wb, gb, "%s nb=%d fill %d value %d: %g, want %g", s, nb, fill, i, got[i], want[i])
				}
				require.Equal(t, float32(42), got[nb*bv], "%s nb=%d wrote past the end", s, nb)
			}
		}
	}
	require.Contains(t, blockDecoders, core.SchemeF16)
	require.Contains(t, blockDecoders, core.SchemeBF16)
}
