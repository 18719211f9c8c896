package cuda

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
)

// TestQGEMMFrom: LBRX_CUDA_QGEMM's names, and the default for the rest.
func TestQGEMMFrom(t *testing.T) {
	for v, want := range map[string]qgemmMode{
		"fp32": qgemmFP32, "tf32": qgemmTF32, "f16": qgemmF16, "bf16": qgemmBF16,
		"": qgemmDefault, "TF32": qgemmDefault, "off": qgemmDefault,
	} {
		require.Equal(t, want, qgemmFrom(v), "LBRX_CUDA_QGEMM=%q", v)
	}
}

// TestQGEMMPlan: only f32 products of qgemmMinRows rows or more leave
// float32; f16/bf16 activations and few-row products keep their dtype.
func TestQGEMMPlan(t *testing.T) {
	defer func(m qgemmMode) { qgemm = m }(qgemm)
	for _, c := range []struct {
		mode     qgemmMode
		xt       core.DType
		m        int
		wt, rt   core.DType
		tf32     bool
		describe string
	}{
		{qgemmTF32, core.F32, qgemmMinRows, core.F32, core.F16, true, "tf32 at the threshold"},
		{qgemmTF32, core.F32, qgemmMinRows - 1, core.F32, core.F32, false, "below the threshold"},
		{qgemmTF32, core.F32, 2, core.F32, core.F32, false, "a 2-row product of widths without a matrix-vector kernel"},
		{qgemmF16, core.F32, 512, core.F16, core.F16, false, "f16"},
		{qgemmBF16, core.F32, 512, core.BF16, core.BF16, false, "bf16"},
		{qgemmFP32, core.F32, 512, core.F32, core.F32, false, "the old path"},
		{qgemmF16, core.BF16, 512, core.BF16, core.BF16, false, "bf16 activations"},
		{qgemmTF32, core.F16, 512, core.F16, core.F16, false, "f16 activations"},
	} {
		qgemm = c.mode
		wt, tf32 := qgemmPlan(c.xt, c.m)
		require.Equal(t, c.wt, wt, c.describe)
		require.Equal(t, c.tf32, tf32, c.describe)
		require.Equal(t, c.rt, qgemmRounding(c.xt, c.m), c.describe)
	}
}

// TestQGEMMParity runs f32 products of more than gmvMaxRows rows with
// ggml blocks and affine codes (vector and one-value dequantization)
// through each qgemm mode, on shapes with tails (odd N, K of one block or
// a few, M past cuBLAS's tiles, a rank-3 x), against float64 products
// of the reference decoders' values, with the tolerance of the dtype the
// mode rounds to; no op may fall back to the CPU. Every mode but fp32
// must differ from fp32 somewhere, so a switch that did not switch
// fails.
func TestQGEMMParity(t *testing.T) {
	dev := gpu(t)
	defer func(m qgemmMode) { qgemm = m }(qgemm)
	r := rand.New(rand.NewPCG(41, 42))
	type wcase struct {
		name string
		make func(n, k int) (*core.Array, []float64)
		unit int // K comes in multiples of it
	}
	var weights []wcase
	for _, i := range []int{0, 4, 7, 8, 10} { // Q4_0, Q8_0, Q3_K, Q4_K, Q6_K
		weights = append(weights, wcase{string(ggmlSchemes[i].scheme), func(n, k int) (*core.Array, []float64) {
			hw, dense := ggmlBlocks(t, r, i, n, k)
			w, err := hw.To(dev)
			require.NoError(t, err)
			return w, dense
		}, ggmlSchemes[i].typ.BlockSize()})
	}
	for _, a := range []struct{ bits, gs int }{{4, 32}, {8, 64}, {3, 32}} {
		weights = append(weights, wcase{fmt.Sprintf("affine%d/g%d", a.bits, a.gs), func(n, k int) (*core.Array, []float64) {
			return affineWeight(t, r, dev, n, k, a.bits, a.gs, core.F16)
		}, a.gs})
	}
	modes := []qgemmMode{qgemmFP32, qgemmTF32, qgemmF16, qgemmBF16}
	for _, wc := range weights {
		for _, s := range []struct {
			x     core.Shape // x's shape but K
			n, ks int        // N and K in units
		}{{core.Shape{qgemmMinRows}, 37, 1}, {core.Shape{70}, 130, 3}, {core.Shape{2, 65}, 5, 2}} {
			k := s.ks * max(wc.unit, 32)
			xs := append(slices.Clone(s.x), k)
			m := xs.NumElements() / k
			t.Run(fmt.Sprintf("%s/x%v/n%d", wc.name, xs, s.n), func(t *testing.T) {
				w, dense := wc.make(s.n, k)
				_, dx, vx := prepare(t, dev, core.F32, input{xs, ident}, random(r, m*k, -1, 1, false))
				want, scale := denseProduct(vx, dense, m, s.n, k)
				want = round(core.F32, want)
				outShape := append(slices.Clone(s.x), s.n)
				got := map[qgemmMode][]float64{}
				for _, mode := range modes {
					qgemm = mode
					before := fallbackTotal()
					y := runOn(t, dev, "quantized_matmul", core.F32, outShape, nil, 0, dx, w)
					require.Equal(t, before, fallbackTotal(), "quantized_matmul fell back to the CPU")
					// Rounding grows with k times the largest term.
					rt := qgemmRounding(core.F32, m)
					near(t, rt, want, y, 4*scale*float64(k), fmt.Sprintf("mode %d (rounding as %v)", mode, rt))
					got[mode] = y
				}
				for _, mode := range modes[1:] {
					require.NotEqual(t, got[qgemmFP32], got[mode], "mode %d gave fp32's result bit for bit", mode)
				}
			})
		}
	}
}
