package quant

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRowKernelsMatchGoReference holds every assembly row kernel to the
// portable Go loop on 1, 2, 3, 5 and 17 blocks and on an empty row, for
// random codes and scales; they differ only in summation order, so the
// bound is (K + 64) units of rounding of the terms' magnitudes; both
// must also match the dequantized row's product.
func TestRowKernelsMatchGoReference(t *testing.T) {
	r := rand.New(rand.NewPCG(51, 52))
	ran := 0
	for _, s := range allBlockSchemes {
		rk := rowKernels[s]
		if rk == nil || rk.goDot == nil {
			continue
		}
		ran++
		bv := BlockValues(s)
		for _, nb := range []int{0, 1, 2, 3, 5, 17} {
			t.Run(fmt.Sprintf("%s/%d", s, nb), func(t *testing.T) {
				row := randomBlocks(r, s, nb)
				x := randomX(r, nb*bv)
				var xs []float32
				if rk.sub > 0 {
					xs = groupSums(x, 1, nb*bv, rk.sub)
				}
				want := rk.goDot(row, x, xs)
				w := make([]float32, nb*bv)
				require.NoError(t, DecodeBlocks(s, w, row))
				// Terms reach |w| + 2|offset| per value (blockOffsets).
				off := blockOffsets(t, s, row)
				var mag, ref float64
				for i := range w {
					mag += (math.Abs(float64(w[i])) + 2*off[i]) * math.Abs(float64(x[i]))
					ref += float64(w[i]) * float64(x[i])
				}
				tol := float64(nb*bv+64)*0x1p-24*mag + 1e-30
				require.LessOrEqualf(t, math.Abs(float64(want)-ref), tol, "%s nb=%d: Go %g, dequantized %g", s, nb, want, ref)
				for _, v := range rk.variants {
					got := v.dot(row, x, xs)
					require.LessOrEqualf(t, math.Abs(float64(got-want)), tol, "%s nb=%d: %s %g, Go %g", s, nb, v.name, got, want)
					require.LessOrEqualf(t, math.Abs(float64(got)-ref), tol, "%s nb=%d: %s %g, dequantized %g", s, nb, v.name, got, ref)
					if nb == 0 {
						require.Zero(t, got)
					}
				}
			})
		}
	}
	if ran == 0 {
		t.Logf("no assembly row kernels on this CPU/build: only the Go kernels run (TestBlockWeightMatMulAllSchemes checks them)")
	}
}
