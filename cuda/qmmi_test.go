package cuda

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
)

// qmmiShapes are the launch shapes the several-row tests run: both rows
// variants, one warp a block up to the launch bound of eight.
var qmmiShapes = []qmviShape{{2, 8}, {4, 8}, {2, 1}, {4, 3}}

// The integer several-row affine kernels against qmviRef row by row, and
// every row against the one-row kernel's product of that row alone, bit
// for bit (batch invariance): 4- and 8-bit codes, groups of 16 (8-bit)
// to 128, f32/f16/bf16 activations and scales; 2 to 8 rows (every
// instance, rows short of it), 9 to 17 and 32 (several launches, a
// one-row tail through the one-row kernel); one output, a partial last
// warp and block, K of one activation block, of chunks past the two a
// lane has in flight (and not a whole number of 64-chunk rounds), and the
// longest K; every launch shape, weights loaded before and after
// pdl_entry, x quantized by qmvi_act and (K <= qmmiBlockK) in every block
// (LBRX_CUDA_QMMI_BLOCK). Strict: runOn fails on a CPU fallback.
func TestQMMIAffineParity(t *testing.T) {
	dev := gpu(t)
	before := core.Fallbacks()
	defer func(v bool) { qmviAffine8 = v }(qmviAffine8)
	qmviAffine8 = true // 8-bit codes go to the integer kernels only when switched on; tested all the same
	r := rand.New(rand.NewPCG(41, 42))
	type qcase struct {
		bits, gs, m, n, k int
		xt, sdt           core.DType
	}
	var cases []qcase
	for _, bits := range []int{4, 8} {
		for m := 2; m <= 17; m++ {
			cases = append(cases, qcase{bits, 32, m, 37, 256, core.F32, core.F32})
		}
		cases = append(cases,
			qcase{bits, 32, 3, 1, 32, core.F32, core.F16},
			qcase{bits, 32, 8, 5, 2080, core.F16, core.F16},
			qcase{bits, 64, 5, 3, 96 * 2, core.BF16, core.BF16},
			qcase{bits, 32, 8, 67, 2048 + 96, core.F16, core.BF16},
			qcase{bits, 32, 7, 9, actQMaxK, core.F32, core.F16},
			qcase{bits, 32, 32, 130, 2048, core.BF16, core.F32},
			qcase{bits, 128, 4, 33, 4096, core.F16, core.F32})
	}
	cases = append(cases, qcase{8, 16, 6, 11, 64, core.F32, core.F32})
	for ci, c := range cases {
		t.Run(fmt.Sprintf("affine%d/g%d/m%d/n%d/k%d/%v/%v#%d", c.bits, c.gs, c.m, c.n, c.k, c.xt, c.sdt, ci), func(t *testing.T) {
			w, dense := affineWeight(t, r, dev, c.n, c.k, c.bits, c.gs, c.sdt)
			xv := random(r, c.m*c.k, -1, 1, false)
			_, dx, vx := prepare(t, dev, c.xt, input{core.Shape{c.m, c.k}, ident}, xv)
			require.True(t, dev.canQMV(dx, w, w.Quant()) && qmmiTakesAffine(c.bits, c.k, c.m), "the integer kernels take the product")
			// Each row alone through the one-row kernel, and its exact value.
			alone := make([][]float64, c.m)
			want := make([][]float64, c.m)
			terms := make([][]float64, c.m)
			for i := range c.m {
				_, dxi, _ := prepare(t, dev, c.xt, input{core.Shape{1, c.k}, ident}, xv[i*c.k:(i+1)*c.k])
				alone[i] = runOn(t, dev, "quantized_matmul", c.xt, core.Shape{1, c.n}, nil, 0, dxi, w)
				want[i], terms[i], _ = qmviRef(vx[i*c.k:(i+1)*c.k], dense, c.n, c.k)
				nearQMVI(t, c.xt, round(c.xt, want[i]), terms[i], alone[i], fmt.Sprintf("row %d alone", i))
			}
			defer func(sh qmviShape, e, b bool) { qmmiShape, qmvEarly, qmmiBlock = sh, e, b }(qmmiShape, qmvEarly, qmmiBlock)
			for _, sh := range qmmiShapes {
				for _, mode := range []struct{ early, block bool }{{false, false}, {true, false}, {false, true}, {true, true}} {
					if mode.block && c.k > qmmiBlockK {
						continue
					}
					qmmiShape, qmvEarly, qmmiBlock = sh, mode.early, mode.block
					got := runOn(t, dev, "quantized_matmul", c.xt, core.Shape{c.m, c.n}, nil, 0, dx, w)
					for i := range c.m {
						what := fmt.Sprintf("%+v early %v block %v row %d", sh, mode.early, mode.block, i)
						row := got[i*c.n : (i+1)*c.n]
						nearQMVI(t, c.xt, round(c.xt, want[i]), terms[i], row, what)
						sameBits(t, alone[i], row, what+": the same bits as the row alone")
					}
				}
			}
		})
	}
	require.Equal(t, before, core.Fallbacks(), "no op fell back to the CPU")
}

// sameBits asserts that got is want bit for bit (NaNs included).
func sameBits(tb testing.TB, want, got []float64, what string) {
	tb.Helper()
	require.Len(tb, got, len(want), what)
	for i := range want {
		require.Equal(tb, math.Float64bits(want[i]), math.Float64bits(got[i]), "%s: element %d: want %v, got %v", what, i, want[i], got[i])
	}
}

// The several-row kernels on rows of edge activations (TestQMVIActivationEdges'
// blocks: zeros, subnormals, a largest value at a random place, values on
// rounding ties, a huge outlier; then a NaN and an infinity) between
// ordinary rows, x quantized by qmvi_act and in every block: each row is the one-row kernel's bits, and a bad value
// makes its own row NaN and no other.
func TestQMMIActivationEdges(t *testing.T) {
	dev := gpu(t)
	defer func(v bool) { qmviAffine8 = v }(qmviAffine8)
	qmviAffine8 = true
	r := rand.New(rand.NewPCG(43, 44))
	const m, n, k = 5, 7, 256
	edge := random(r, k, -1, 1, false)
	for i := range 32 {
		edge[i] = 0
		edge[32+i] = 1e-39 * float64(i%3-1)
		edge[64+i] = 0.5 * edge[64+i]
		edge[96+i] = float64(2*i+1) / 254
		edge[224+i] = 0.25 * edge[224+i]
	}
	edge[64+r.IntN(32)] = 1
	edge[127] = 1
	edge[224+3] = 1e30
	xv := random(r, m*k, -1, 1, false)
	copy(xv[k:], edge)
	copy(xv[3*k:], edge)
	xv[3*k+200] = math.NaN()
	xv[4*k+5] = math.Inf(1)
	defer func(b bool) { qmmiBlock = b }(qmmiBlock)
	for _, c := range []struct {
		bits  int
		block bool
	}{{4, false}, {8, false}, {4, true}, {8, true}} {
		bits := c.bits
		qmmiBlock = c.block
		w, dense := affineWeight(t, r, dev, n, k, bits, 32, core.F32)
		_, dx, vx := prepare(t, dev, core.F32, input{core.Shape{m, k}, ident}, xv)
		got := runOn(t, dev, "quantized_matmul", core.F32, core.Shape{m, n}, nil, 0, dx, w)
		for i := range m {
			_, dxi, _ := prepare(t, dev, core.F32, input{core.Shape{1, k}, ident}, xv[i*k:(i+1)*k])
			alone := runOn(t, dev, "quantized_matmul", core.F32, core.Shape{1, n}, nil, 0, dxi, w)
			want, terms, _ := qmviRef(vx[i*k:(i+1)*k], dense, n, k)
			row := got[i*n : (i+1)*n]
			nearQMVI(t, core.F32, want, terms, row, fmt.Sprintf("affine%d row %d", bits, i))
			sameBits(t, alone, row, fmt.Sprintf("affine%d row %d against the row alone", bits, i))
			require.Equal(t, i >= 3, math.IsNaN(row[0]), "affine%d row %d: NaN only where x has a NaN or an infinity", bits, i)
		}
	}
}

// LBRX_CUDA_QMMI's values.
func TestQMMIFrom(t *testing.T) {
	for _, c := range []struct {
		v  string
		on bool
		sh qmviShape
	}{
		{"", true, qmmiDefault},
		{"off", false, qmmiDefault},
		{"r4w4", true, qmviShape{4, 4}},
		{"r2w1", true, qmviShape{2, 1}},
		{"r1w8", true, qmmiDefault}, // no several-row instance of one output a warp
		{"r3w8", true, qmmiDefault},
		{"junk", true, qmmiDefault},
	} {
		on, sh := qmmiFrom(c.v)
		require.Equal(t, c.on, on, c.v)
		require.Equal(t, c.sh, sh, c.v)
	}
}
