package cuda

import (
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
)

// The launch structs match the driver's 64-bit CUlaunchConfig and
// CUlaunchAttribute layouts (cuda.h); runs everywhere.
func TestLaunchConfigLayout(t *testing.T) {
	var c launchConfig
	require.Equal(t, uintptr(72), unsafe.Sizeof(launchAttr{}))
	require.Equal(t, uintptr(8), unsafe.Offsetof(launchAttr{}.val))
	require.Equal(t, uintptr(56), unsafe.Sizeof(c))
	require.Equal(t, uintptr(24), unsafe.Offsetof(c.shared))
	require.Equal(t, uintptr(32), unsafe.Offsetof(c.stream))
	require.Equal(t, uintptr(40), unsafe.Offsetof(c.attrs))
	require.Equal(t, uintptr(48), unsafe.Offsetof(c.numAttrs))
	for _, n := range []string{"qmv_affine4_w2_f16_f16", "add_rms_norm_f16", "rope_cache_bf16", "cached_attention_warp_f32", "cached_attention_vec_f16", "argmax_f16_i32", "gmv_q4_0_1_f16", "silu_mul_f16", "gemv_glu_f16", "qmvi_affine4_r2e_f16_f16", "gmvi_q4_k_r1_f32"} {
		require.True(t, pdlKernel(n), n)
	}
	for _, n := range []string{"add_f16", "dequant_affine4_f16_f16", "gmt_q4_0_f16", "causal_attention_f16", "paged_attention_vec_f16", "argmin_f16_i32", "cast_f32_f16"} {
		require.False(t, pdlKernel(n), n)
	}
}

// A chain of dependent decode-step ops (add_rms_norm, a quantized and a
// dense one-row product, silu_mul, argmax), each reading the one before,
// recorded as a CUDA graph and replayed with programmatic dependent
// launch gives exactly the values of the same ops run one by one without
// it: the overlap of launches never lets a kernel read before its
// predecessor has written.
func TestPDLChainEqualsSerial(t *testing.T) {
	dev := gpu(t)
	if dev.cc < 90 || !launchExBound {
		t.Skipf("programmatic dependent launch needs compute capability 9.0 and cuLaunchKernelEx (%s: %d)", dev.name, dev.cc)
	}
	r := rand.New(rand.NewPCG(21, 22))
	const k, steps = 2048, 12
	w, _ := affineWeight(t, r, dev, 2*k, k, 4, 32, core.F16)
	_, dense, _ := prepare(t, dev, core.F16, input{core.Shape{k, k}, ident}, random(r, k*k, -0.05, 0.05, false))
	_, nw, _ := prepare(t, dev, core.F16, input{core.Shape{k}, ident}, random(r, k, 0.5, 1.5, false))
	_, x0, _ := prepare(t, dev, core.F16, input{core.Shape{1, k}, ident}, random(r, k, -1, 1, false))
	run := func() (*core.Array, *core.Array, error) {
		x, res := x0, x0
		for i := range steps {
			sum, h, err := core.AddRMSNormOp(x, res, nw, 1e-5)
			if err != nil {
				return nil, nil, err
			}
			gu, err := core.QuantizedMatMulOp(h, w)
			if err != nil {
				return nil, nil, err
			}
			g, err := gu.Slice(1, 0, k, 1)
			if err != nil {
				return nil, nil, err
			}
			u, err := gu.Slice(1, k, 2*k, 1)
			if err != nil {
				return nil, nil, err
			}
			if h, err = core.SiLUMulOp(g, u); err != nil {
				return nil, nil, err
			}
			// Alternately gemv (a transposed view: the one-row kernel)
			// and cuBLAS (a kernel launched without the attribute).
			d := dense
			if i%2 == 0 {
				if d, err = dense.T(); err != nil {
					return nil, nil, err
				}
			}
			if x, err = core.MatMulOp(h, d); err != nil {
				return nil, nil, err
			}
			res = sum
		}
		best, err := core.ArgMaxOp(x, -1, false)
		return x, best, err
	}
	defer func(v bool) { pdlOff = v }(pdlOff)
	pdlOff = true
	want, wantBest, err := run()
	require.NoError(t, err)
	wv, wb := values(t, want), values(t, wantBest)

	// With the warp kernels' early weight loads too (the chain's weight
	// is uploaded from the host, so they apply).
	defer func(v bool) { qmvEarly = v }(qmvEarly)
	pdlOff, qmvEarly = false, true
	require.False(t, written(w))
	before := core.Fallbacks()
	var got, best *core.Array
	g, err := core.Record(dev, func() error {
		var err error
		got, best, err = run()
		return err
	})
	require.NoError(t, err)
	defer func() { require.NoError(t, g.Close()) }()
	for i := range 5 {
		require.NoError(t, g.Replay())
		require.Equal(t, wv, values(t, got), "replay %d", i)
		require.Equal(t, wb, values(t, best), "replay %d", i)
	}
	// Op by op with the attribute too.
	got, best, err = run()
	require.NoError(t, err)
	require.Equal(t, wv, values(t, got), "op by op")
	require.Equal(t, wb, values(t, best), "op by op")
	require.Equal(t, before, core.Fallbacks(), "fallbacks on %s", dev.name)
	// An op's output is marked written: no early loads from it.
	require.True(t, written(got))
}
