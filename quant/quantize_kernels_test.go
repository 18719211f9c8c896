package quant

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestQuantizeKernelsMatchScalar checks the vector min/max and code
// kernels bit for bit against the scalar MLX port, on groups with NaN,
// infinities, signed zeros, constants, ties at .5 and random values.
func TestQuantizeKernelsMatchScalar(t *testing.T) {
	if minMaxFast == nil && codesFast == nil {
		t.Skip("no vector quantize kernels on this CPU/build (noasm or no AVX): the scalar code is the only path")
	}
	r := rand.New(rand.NewPCG(41, 42))
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	for _, bits := range Bits {
		for _, g := range GroupSizes {
			t.Run(fmt.Sprintf("b%d/g%d", bits, g), func(t *testing.T) {
				const groups = 12
				w := randomWeights(r, groups*g)
				grp := func(i int) []float32 { return w[i*g : (i+1)*g] }
				grp(0)[5], grp(0)[g-1] = nan, nan // NaN skipped by min/max
				grp(1)[0] = nan                   // NaN first in the scan
				grp(2)[3] = inf                   // infinities
				grp(3)[7] = -inf
				for i := range grp(4) { // signed zeros only
					grp(4)[i] = float32(math.Copysign(0, float64(i%2*2-1)))
				}
				for i := range grp(5) { // constant
					grp(5)[i] = -3.25
				}
				for i := range grp(6) { // exact .5 ties after scaling
					grp(6)[i] = float32(i) / 2
				}
				for i := range grp(7) { // all NaN
					grp(7)[i] = nan
				}
				scalarMin := func(v []float32) (float32, float32) {
					lo, hi := inf32(1), inf32(-1)
					for _, x := range v {
						hi = cMax(hi, x)
						lo = cMin(lo, x)
					}
					return lo, hi
				}
				nBins := float32(int(1)<<bits - 1)
				for i := range groups {
					lo, hi := minMax(grp(i))
					slo, shi := scalarMin(grp(i))
					// The sign of a zero extreme may differ with lane order;
					// MLX's scale and bias do not depend on it.
					require.Truef(t, lo == slo || lo != lo && slo != slo, "group %d min %g vs %g", i, lo, slo)
					require.Truef(t, hi == shi || hi != hi && shi != shi, "group %d max %g vs %g", i, hi, shi)
					s, b := affineParams(lo, hi, nBins)
					ss, sb := affineParams(slo, shi, nBins)
					require.Equal(t, math.Float32bits(ss), math.Float32bits(s), "group %d scale", i)
					require.Equal(t, math.Float32bits(sb), math.Float32bits(b), "group %d bias", i)
					got := make([]uint32, g)
					codesFast(got, grp(i), s, b, nBins)
					for j, v := range grp(i) {
						require.Equalf(t, affineCode(v, s, b, nBins), got[j], "group %d value %d (%g)", i, j, v)
					}
				}
				// And the whole QuantizeRows output against the scalar path.
				n := len(w)
				c1, c2 := make([]uint32, n*bits/32), make([]uint32, n*bits/32)
				s1, s2 := make([]float32, n/g), make([]float32, n/g)
				b1, b2 := make([]float32, n/g), make([]float32, n/g)
				require.NoError(t, QuantizeRows(c1, s1, b1, w, g*3, bits, g))
				mf, cf := minMaxFast, codesFast
				minMaxFast, codesFast = nil, nil
				err := QuantizeRows(c2, s2, b2, w, g*3, bits, g)
				minMaxFast, codesFast = mf, cf
				require.NoError(t, err)
				require.Equal(t, c2, c1)
				for i := range s1 {
					require.Equal(t, math.Float32bits(s2[i]), math.Float32bits(s1[i]))
					require.Equal(t, math.Float32bits(b2[i]), math.Float32bits(b1[i]))
				}
			})
		}
	}
}
