package cuda

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/quant"
)

// floatQMV runs the rest of a test with the float one-row kernels: for
// the tests of those kernels, and for tests whose float64 references
// multiply x itself rather than x quantized to 8 bits.
func floatQMV(tb testing.TB) {
	old := qmviOn
	qmviOn = false
	tb.Cleanup(func() { qmviOn = old })
}

// qmviRef is the integer kernels' product in exact arithmetic: the weight's
// dense values times x quantized by quant.QuantizeActivation (the rule of
// the CPU's integer kernels) and dequantized, y[n] = sum w[n,k]*d*q[k]; the
// kernels' integer sums are exact and only their float scaling and
// accumulation round. Also the sum of |terms| of each output, which bounds
// that rounding, and the float64 product with x itself.
func qmviRef(vx, dense []float64, n, k int) (want, terms, plain []float64) {
	x32 := make([]float32, k)
	for i, v := range vx {
		x32[i] = float32(v)
	}
	d, q := quant.QuantizeActivation(x32)
	xq := make([]float64, k)
	for i := range xq {
		xq[i] = float64(d[i/32]) * float64(q[i])
	}
	want, terms, plain = make([]float64, n), make([]float64, n), make([]float64, n)
	for j := range n {
		for i := range k {
			w := dense[j*k+i]
			want[j] += w * xq[i]
			terms[j] += math.Abs(w * xq[i])
			plain[j] += w * vx[i]
		}
	}
	return want, terms, plain
}

// nearQMVI checks got against qmviRef's want: float rounding of the
// scaling and the sums (1e-5 of the terms' magnitudes) plus the output
// dtype's rounding. NaNs must match.
func nearQMVI(tb testing.TB, xt core.DType, want, terms, got []float64, what string) {
	tb.Helper()
	rel, _ := tolerance(xt)
	for i := range want {
		if math.IsNaN(want[i]) || math.IsNaN(got[i]) {
			require.True(tb, math.IsNaN(want[i]) && math.IsNaN(got[i]), "%s: element %d: want %v, got %v", what, i, want[i], got[i])
			continue
		}
		lim := 1e-5*terms[i] + rel*math.Abs(want[i]) + 1e-30
		require.LessOrEqual(tb, math.Abs(got[i]-want[i]), lim, "%s: element %d: want %v, got %v", what, i, want[i], got[i])
	}
}

// distinguishes reports whether the product with x itself falls outside
// the tolerance somewhere (so that the comparison would catch a kernel
// that did not quantize x as specified).
func distinguishes(want, terms, plain []float64) bool {
	for i := range want {
		if math.Abs(plain[i]-want[i]) > 1e-5*terms[i] {
			return true
		}
	}
	return false
}

// qmviShapes are the launch shapes the tests run: every rows variant,
// one warp a block up to the launch bound of eight.
var qmviShapes = []qmviShape{{1, 4}, {2, 4}, {2, 8}, {4, 8}, {1, 8}, {2, 1}, {4, 3}}

// The integer affine kernels against qmviRef: 4- and 8-bit codes, groups
// of 16 (8-bit) to 128, f32/f16/bf16 activations and scales; one output,
// a partial last warp and block, K of one activation block, of chunks
// past the two a lane has in flight, and the longest K the shared copy
// holds; every launch shape, weights loaded before and after pdl_entry.
// Strict: runOn fails on a CPU fallback.
func TestQMVIAffineParity(t *testing.T) {
	dev := gpu(t)
	defer func(v bool) { qmviAffine8 = v }(qmviAffine8)
	qmviAffine8 = true // off by default (slower than the float kernels), tested all the same
	r := rand.New(rand.NewPCG(31, 32))
	type qcase struct {
		bits, gs, n, k int
		xt, sdt        core.DType
	}
	var cases []qcase
	for _, bits := range []int{4, 8} {
		for _, gs := range []int{32, 64, 128} {
			cases = append(cases, qcase{bits, gs, 37, 256, core.F32, core.F32})
		}
		cases = append(cases,
			qcase{bits, 32, 1, 32, core.F32, core.F16},
			qcase{bits, 32, 5, 2080, core.F16, core.F16},
			qcase{bits, 64, 3, 96 * 2, core.BF16, core.BF16},
			qcase{bits, 128, 67, 4096, core.F16, core.BF16},
			qcase{bits, 32, 9, actQMaxK, core.F32, core.F16},
			qcase{bits, 32, 130, 2048, core.BF16, core.F32})
	}
	cases = append(cases, qcase{8, 16, 11, 64, core.F32, core.F32})
	for ci, c := range cases {
		t.Run(fmt.Sprintf("affine%d/g%d/n%d/k%d/%v/%v#%d", c.bits, c.gs, c.n, c.k, c.xt, c.sdt, ci), func(t *testing.T) {
			w, dense := affineWeight(t, r, dev, c.n, c.k, c.bits, c.gs, c.sdt)
			_, dx, vx := prepare(t, dev, c.xt, input{core.Shape{1, c.k}, ident}, random(r, c.k, -1, 1, false))
			require.True(t, dev.canQMV(dx, w, w.Quant()) && qmviTakesAffine(c.bits, c.k), "the integer kernel takes the product")
			want, terms, plain := qmviRef(vx, dense, c.n, c.k)
			if c.xt == core.F32 && c.n*c.k >= 1024 {
				require.True(t, distinguishes(want, terms, plain), "the tolerance tells quantized x from x")
			}
			testQMVIShapes(t, dev, c.xt, c.n, dx, w, want, terms)
		})
	}
}

// testQMVIShapes runs quantized_matmul for every launch shape, early
// loads on and off, and compares with want.
func testQMVIShapes(t *testing.T, dev *Device, xt core.DType, n int, dx, w *core.Array, want, terms []float64) {
	defer func(a, g [2]qmviShape, e bool) { qmviAffineShapes, qmviGGMLShapes, qmvEarly = a, g, e }(qmviAffineShapes, qmviGGMLShapes, qmvEarly)
	for _, sh := range qmviShapes {
		for _, early := range []bool{false, true} {
			qmviAffineShapes, qmviGGMLShapes, qmvEarly = [2]qmviShape{sh, sh}, [2]qmviShape{sh, sh}, early
			got := runOn(t, dev, "quantized_matmul", xt, core.Shape{1, n}, nil, 0, dx, w)
			nearQMVI(t, xt, round(xt, want), terms, got, fmt.Sprintf("%+v early %v", sh, early))
		}
	}
}

// The integer ggml kernels against qmviRef for every block type: one
// block, several, the longest K, one output and a partial last warp.
func TestGMVIParity(t *testing.T) {
	dev := gpu(t)
	r := rand.New(rand.NewPCG(33, 34))
	for i, s := range ggmlSchemes {
		qk := s.typ.BlockSize()
		for _, c := range []struct {
			n, blocks int
			xt        core.DType
		}{{1, 1, core.F32}, {37, 3, core.F32}, {5, actQMaxK / qk, core.F16}, {70, 2, core.BF16}} {
			n, k := c.n, c.blocks*qk
			t.Run(fmt.Sprintf("%s/n%d/k%d/%v", s.scheme, n, k, c.xt), func(t *testing.T) {
				hw, dense := ggmlBlocks(t, r, i, n, k)
				w, err := hw.To(dev)
				require.NoError(t, err)
				_, dx, vx := prepare(t, dev, c.xt, input{core.Shape{1, k}, ident}, random(r, k, -1, 1, false))
				want, terms, plain := qmviRef(vx, dense, n, k)
				if c.xt == core.F32 && n*k >= 1024 {
					require.True(t, distinguishes(want, terms, plain), "the tolerance tells quantized x from x")
				}
				testQMVIShapes(t, dev, c.xt, n, dx, w, want, terms)
			})
		}
	}
}

// Activation blocks at the edges of the quantization rule: all zeros
// (d = 0), values so small that 127/max|x| overflows (d = 0 too), a huge
// outlier, a
// block whose largest value sits at each of its 32 places, exact ties
// (x*127/max|x| = k + 1/2 rounds to even) and a NaN or an infinity (the
// outputs are NaN, as the float kernels' would be).
func TestQMVIActivationEdges(t *testing.T) {
	dev := gpu(t)
	defer func(v bool) { qmviAffine8 = v }(qmviAffine8)
	qmviAffine8 = true
	r := rand.New(rand.NewPCG(35, 36))
	const n, k = 7, 256
	x := random(r, k, -1, 1, false)
	for i := range 32 {
		x[i] = 0
		x[32+i] = 1e-39 * float64(i%3-1)
		x[224+i] = 0.25 * x[224+i]
	}
	for i := range 32 {
		x[64+i] = 0.5 * x[64+i]
	}
	x[64+r.IntN(32)] = 1 // max at a random place
	for i := range 32 {  // (2i+1)/254 against a largest value of 1: x*id lands on or next to a half
		x[96+i] = float64(2*i+1) / 254
	}
	x[127] = 1
	x[224+3] = 1e30 // a huge outlier: the rest of its block rounds to 0
	for _, bad := range []float64{0, math.NaN(), math.Inf(-1)} {
		xv := append([]float64(nil), x...)
		if bad != 0 {
			xv[200] = bad
		}
		for _, bits := range []int{4, 8} {
			w, dense := affineWeight(t, r, dev, n, k, bits, 32, core.F32)
			_, dx, vx := prepare(t, dev, core.F32, input{core.Shape{1, k}, ident}, xv)
			want, terms, _ := qmviRef(vx, dense, n, k)
			if bad != 0 {
				for _, v := range want {
					require.True(t, math.IsNaN(v), "a NaN or infinite activation makes every output NaN")
				}
			}
			testQMVIShapes(t, dev, core.F32, n, dx, w, want, terms)
		}
	}
}

func TestQMVIFrom(t *testing.T) {
	affine, ggml := [2]qmviShape{{2, 8}, {2, 8}}, [2]qmviShape{{2, 4}, {1, 8}}
	for _, c := range []struct {
		v            string
		on           bool
		affine, ggml [2]qmviShape
	}{
		{"", true, affine, ggml},
		{"off", false, affine, ggml},
		{"r4w8", true, [2]qmviShape{{4, 8}, {4, 8}}, [2]qmviShape{{4, 8}, {4, 8}}},
		{"r1w4,r2w8", true, [2]qmviShape{{1, 4}, {2, 8}}, [2]qmviShape{{1, 4}, {2, 8}}},
		{"r3w4,r9w8", true, affine, ggml}, // no kernel of 3 rows, no block of 9 warps
		{"r1w4,junk", true, affine, ggml},
		{"junk", true, affine, ggml},
	} {
		on, a, g := qmviFrom(c.v)
		require.Equal(t, c.on, on, c.v)
		require.Equal(t, c.affine, a, c.v)
		require.Equal(t, c.ggml, g, c.v)
	}
}
