package quant

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func absAll(v []float32) []float32 {
	out := make([]float32, len(v))
	for i, f := range v {
		out[i] = abs32(f)
	}
	return out
}

// TestRowKernelsMatchGoReference holds every assembly row kernel to the
// portable Go loop on 1, 2, 3, 5 and 17 blocks and on an empty row, for
// random codes and scales; they differ only in summation order, so the
// bound is (K + 64) units of rounding of Σ|s*q*x|.
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
				ns := nb * bv / rk.sub
				scales, offs := make([]float32, ns), make([]float32, ns)
				rk.prep(row, scales, offs)
				got := rk.dot(row, x, scales)
				want := rk.goDot(row, x, scales)
				// |s*q| <= |w| + |offset| per value (q unsigned; Q8_0
				// has no offset and |s*q| = |w|).
				w := make([]float32, nb*bv)
				require.NoError(t, DecodeBlocks(s, w, row))
				var mag, ref float64
				for i := range w {
					mag += (math.Abs(float64(w[i])) + math.Abs(float64(offs[i/rk.sub]))) * math.Abs(float64(x[i]))
					ref += float64(w[i]) * float64(x[i])
				}
				tol := float64(nb*bv+64)*0x1p-24*mag + 1e-30
				require.LessOrEqualf(t, math.Abs(float64(got-want)), tol, "%s nb=%d: assembly %g, Go %g", s, nb, got, want)
				if nb == 0 {
					require.Zero(t, got)
				}
				// The offsets come from the right bytes too: with them the
				// kernel gives the decoded row's dot product.
				full := got
				if rk.offs {
					full += dotF32(offs, groupSums(x, 1, nb*bv, rk.sub))
				}
				require.InDelta(t, ref, float64(full), 2*tol)
			})
		}
	}
	if ran == 0 {
		t.Logf("no assembly row kernels on this CPU/build: only the Go kernels run (TestBlockWeightMatMulAllSchemes checks them)")
	}
}

func TestDotRows4MatchesDotF32(t *testing.T) {
	if dotRows4 == nil {
		t.Skip("no 4-row tile kernel on this CPU/build (amd64 AVX2+FMA without noasm has one)")
	}
	r := rand.New(rand.NewPCG(53, 54))
	for _, n := range []int{0, 8, 16, 256, 1024} {
		stride := n + 40
		tile := randomX(r, n)
		x := randomX(r, 3*stride+n)
		var out [4]float32
		dotRows4(&out, tile, x, stride)
		for i := range 4 {
			want := dotF32(tile, x[i*stride:i*stride+n])
			mag := dotF32(absAll(tile), absAll(x[i*stride:i*stride+n]))
			require.InDeltaf(t, want, out[i], float64(n+8)*0x1p-24*float64(mag)+1e-30, "n=%d row %d", n, i)
		}
	}
}
