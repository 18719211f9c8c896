package quant

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRowKernelsMatchGo compares the assembly row kernels (where this CPU
// runs them) with the portable Go loops on every group size, single and
// odd row counts, extreme codes and random codes.
func TestRowKernelsMatchGo(t *testing.T) {
	if rowDot4 == nil && rowDot8 == nil {
		t.Skip("no assembly row kernel on this CPU/build (noasm, or no AVX2+FMA): the Go loops are the only path")
	}
	r := rand.New(rand.NewPCG(31, 32))
	for _, bits := range []int{4, 8} {
		for _, g := range GroupSizes {
			// 67 rows split over two goroutines (with GOMAXPROCS >= 2)
			// give each a spread four-row range plus a tail.
			for _, n := range []int{1, 2, 3, 5, 7, 17, 67} {
				// 33*128 spans several K chunks of the batched kernel and,
				// for group 32, ends in half a 64-value block.
				for _, k := range []int{g, 2 * g, 3 * g, 4096, 33 * g} {
					for _, fill := range []string{"random", "zero", "max"} {
						t.Run(fmt.Sprintf("b%d/g%d/%dx%d/%s", bits, g, n, k, fill), func(t *testing.T) {
							w := &AffineWeight{N: n, K: k, Bits: bits, GroupSize: g,
								Codes: make([]uint32, n*k*bits/32), Scales: make([]float32, n*k/g), Biases: make([]float32, n*k/g)}
							for i := range w.Codes {
								switch fill {
								case "random":
									w.Codes[i] = r.Uint32()
								case "max":
									w.Codes[i] = math.MaxUint32
								}
							}
							for i := range w.Scales {
								w.Scales[i] = float32(r.NormFloat64())
								w.Biases[i] = float32(r.NormFloat64())
							}
							const m = 5 // batched: one four-row pass plus one single row
							x := make([]float32, m*k)
							for i := range x {
								x[i] = float32(r.NormFloat64())
							}
							// Every kernel tier this CPU has: AVX-512 four-row
							// kernels (where present), then AVX2 alone.
							fast := make([]float32, m*n)
							require.NoError(t, w.MatMul(fast, x, m))
							require.NoError(t, w.MatMul(fast[:n], x[:k], 1))
							saved44, saved48 := rows4Dot4, rows4Dot8
							rows4Dot4, rows4Dot8 = nil, nil
							avx2 := make([]float32, m*n)
							err := w.MatMul(avx2, x, m)
							if err == nil {
								err = w.MatMul(avx2[:n], x[:k], 1)
							}
							rows4Dot4, rows4Dot8 = saved44, saved48
							require.NoError(t, err)
							saved4, saved8 := rowDot4, rowDot8
							rowDot4, rowDot8 = nil, nil
							slow := make([]float32, m*n)
							err = w.MatMul(slow, x, m)
							rowDot4, rowDot8 = saved4, saved8
							require.NoError(t, err)
							// Same sums in another order: bound by K units of
							// rounding of the absolute terms.
							nb := float64(int(1)<<bits - 1)
							for b := range m {
								for i := range n {
									var mag float64
									for j := range k {
										gi := i*k/g + j/g
										mag += (math.Abs(float64(w.Scales[gi]))*nb + math.Abs(float64(w.Biases[gi]))) * math.Abs(float64(x[b*k+j]))
									}
									tol := float64(2*k+16) * 0x1p-24 * mag
									require.InDeltaf(t, slow[b*n+i], fast[b*n+i], tol, "input %d row %d", b, i)
									require.InDeltaf(t, slow[b*n+i], avx2[b*n+i], tol, "AVX2 only: input %d row %d", b, i)
								}
							}
						})
					}
				}
			}
		}
	}
}
