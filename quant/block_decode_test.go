package quant

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/core/gguf"
)

// The assembly block decoders give core/gguf's reference values bit for
// bit, on runs of 0 to 9 blocks of random bytes (every code and sign,
// random f16 scales including subnormals, infinities and NaNs) and on
// all-zero and all-0xff blocks.
func TestBlockDecodersMatchReference(t *testing.T) {
	if len(blockDecoders) == 0 {
		t.Skip("no assembly block decoders on this CPU (they need AVX-512); the reference decoder runs")
	}
	r := rand.New(rand.NewPCG(3, 4))
	for s, dec := range blockDecoders {
		typ := ggmlSchemes[s].typ
		bb := BlockBytes(s)
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
				want := make([]float32, nb*32)
				require.NoError(t, gguf.Dequantize(typ, src, want))
				got := make([]float32, nb*32+1)
				got[nb*32] = 42 // the decoder must not write past its blocks
				dec(src, got[:nb*32])
				for i := range want {
					wb, gb := math.Float32bits(want[i]), math.Float32bits(got[i])
					if math.IsNaN(float64(want[i])) {
						require.Truef(t, math.IsNaN(float64(got[i])), "%s nb=%d value %d: %g, want NaN", s, nb, i, got[i])
						continue
					}
					require.Equalf(t, wb, gb, "%s nb=%d fill %d value %d: %g, want %g", s, nb, fill, i, got[i], want[i])
				}
				require.Equal(t, float32(42), got[nb*32], "%s nb=%d wrote past the end", s, nb)
			}
		}
	}
	require.Contains(t, blockDecoders, core.SchemeQ4_0)
}
