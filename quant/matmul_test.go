package quant

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/lbrx/lbrx/core"
	"github.com/stretchr/testify/require"
)

// checkMatMul compares MatMul(x, q) with dequantize-then-matmul in float64.
// The tolerance is the float32 rounding bound of a length-K sum: the
// kernel computes s*Σq*x + b*Σx per group, so every term's magnitude
// (|s*q| + |b|)*|x| enters, times (K + group + 8) units of rounding.
func checkMatMul(t *testing.T, q *core.Array, m, k int, r *rand.Rand) {
	t.Helper()
	x := make([]float32, m*k)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	xt, err := core.FromSlice(x, m, k)
	require.NoError(t, err)
	y, err := MatMul(xt.Array(), q)
	require.NoError(t, err)
	yv, err := float32s(y)
	require.NoError(t, err)

	deq := dequantValues(t, q)
	n := len(deq) / max(k, 1)
	require.Equal(t, core.Shape{m, n}, y.Shape())
	absW := absTerms(t, q, k)
	g := q.Quant().GroupSize
	gamma := float64(k+g+8) * 0x1p-24
	for i := range m {
		for j := range n {
			var ref, mag float64
			for c := range k {
				ref += float64(deq[j*k+c]) * float64(x[i*k+c])
				mag += float64(absW[j*k+c]) * math.Abs(float64(x[i*k+c]))
			}
			got := float64(yv[i*n+j])
			qe := actQuantErr(q.Quant().Scheme, m, deq[j*k:(j+1)*k], x[i*k:(i+1)*k])
			require.LessOrEqualf(t, math.Abs(got-ref), gamma*mag+qe+1e-30, "y[%d,%d] = %g, dequantized matmul %g (m=%d n=%d k=%d)", i, j, got, ref, m, n, k)
		}
	}
}

// absTerms returns |s*q| + |b| per weight element (for ggml blocks the
// same through their affine equivalent).
func absTerms(t *testing.T, q *core.Array, k int) []float64 {
	t.Helper()
	a := q
	if q.Quant().Scheme != core.SchemeAffine {
		var err error
		a, err = BlocksToAffine(q, core.F32)
		require.NoError(t, err)
	}
	p, err := affineOf(a)
	require.NoError(t, err)
	out := make([]float64, p.rows*k)
	un := make([]uint32, k)
	wpr := k * p.bits / 32
	for r := range p.rows {
		unpackRow(un, p.codes[r*wpr:], k, p.bits)
		for j, c := range un {
			g := (r*k + j) / p.group
			out[r*k+j] = math.Abs(float64(p.scales[g])*float64(c)) + math.Abs(float64(p.biases[g]))
		}
	}
	return out
}

func TestAffineMatMulAgainstDequantized(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	shapes := []struct{ n, k int }{{1, 32}, {3, 64}, {17, 128}, {5, 384}, {64, 4096}}
	for _, bits := range Bits {
		for _, g := range GroupSizes {
			for _, sh := range shapes {
				if sh.k%g != 0 {
					continue
				}
				for _, dt := range []core.DType{core.F32, core.BF16} {
					w := randomWeights(r, sh.n*sh.k)
					wa, err := fromFloat32s(w, dt, core.Shape{sh.n, sh.k})
					require.NoError(t, err)
					q, err := Quantize(wa, bits, g)
					require.NoError(t, err)
					for _, m := range []int{1, 3, 6} {
						t.Run(fmt.Sprintf("b%d/g%d/%dx%d/%v/m%d", bits, g, sh.n, sh.k, dt, m), func(t *testing.T) {
							checkMatMul(t, q, m, sh.k, r)
						})
					}
				}
			}
		}
	}
}

func TestBlockMatMulAgainstDequantized(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	for _, s := range []core.Scheme{core.SchemeQ8_0, core.SchemeQ4_0, core.SchemeQ4_1} {
		for _, sh := range []struct{ n, k int }{{1, 32}, {7, 96}, {64, 4096}} {
			w := randomWeights(r, sh.n*sh.k)
			wt, err := core.FromSlice(w, sh.n, sh.k)
			require.NoError(t, err)
			q, err := QuantizeBlocks(wt.Array(), s)
			require.NoError(t, err)
			for _, m := range []int{1, 4} {
				t.Run(fmt.Sprintf("%s/%dx%d/m%d", s, sh.n, sh.k, m), func(t *testing.T) {
					checkMatMul(t, q, m, sh.k, r)
					// The in-place block kernel gives the same products as
					// the repacked affine one, up to summation order.
					raw, err := q.Bytes()
					require.NoError(t, err)
					bw := &BlockWeight{Scheme: s, N: sh.n, K: sh.k, Blocks: raw}
					pw, err := Prepare(q)
					require.NoError(t, err)
					x := make([]float32, m*sh.k)
					for i := range x {
						x[i] = float32(r.NormFloat64())
					}
					y0, y1 := make([]float32, m*sh.n), make([]float32, m*sh.n)
					require.NoError(t, bw.MatMul(y0, x, m))
					require.NoError(t, pw.MatMul(y1, x, m))
					abs := absTerms(t, q, sh.k)
					for i := range m {
						for j := range sh.n {
							var mag float64
							for c := range sh.k {
								mag += abs[j*sh.k+c] * math.Abs(float64(x[i*sh.k+c]))
							}
							require.InDelta(t, y1[i*sh.n+j], y0[i*sh.n+j], float64(2*sh.k+16)*0x1p-24*mag)
						}
					}
				})
			}
		}
	}
}

func TestMatMulEdges(t *testing.T) {
	q, _ := quantizedFixture(t, 4, 64)
	// Empty batch.
	x, err := core.Zeros[float32](0, 256)
	require.NoError(t, err)
	y, err := MatMul(x.Array(), q)
	require.NoError(t, err)
	require.Equal(t, core.Shape{0, 8}, y.Shape())
	// A 1-D x is one row.
	x1, err := core.Full[float32](1, 256)
	require.NoError(t, err)
	y, err = MatMul(x1.Array(), q)
	require.NoError(t, err)
	require.Equal(t, core.Shape{8}, y.Shape())
	// Wrong K.
	bad, err := core.Zeros[float32](2, 255)
	require.NoError(t, err)
	_, err = MatMul(bad.Array(), q)
	require.ErrorContains(t, err, "K=256")
	// Unquantized weight.
	_, err = MatMul(x1.Array(), x1.Array())
	require.ErrorContains(t, err, "not quantized")
	// Slice-level checks.
	aw := &AffineWeight{N: 2, K: 64, Bits: 4, GroupSize: 64, Codes: make([]uint32, 3), Scales: make([]float32, 2), Biases: make([]float32, 2)}
	require.ErrorContains(t, aw.MatMul(make([]float32, 2), make([]float32, 64), 1), "too short")
	bw := &BlockWeight{Scheme: core.SchemeQ4_0, N: 1, K: 32, Blocks: make([]byte, 17)}
	require.ErrorContains(t, bw.MatMul(make([]float32, 1), make([]float32, 32), 1), "bytes of blocks")
}
