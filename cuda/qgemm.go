package cuda

import (
	"fmt"
	"os"

	"github.com/lbrx/lbrx/core"
)

// Products of many f32 activation rows (a prefill) with a quantized
// weight dequantize the weight once and multiply through cuBLAS. In full
// float32 that GEMM runs on the SIMT units (~50 TFLOP/s on an H200): a
// GGUF model's default f32 activations prefilled 512 tokens at a quarter
// of llama.cpp's rate (bench/cuda/results/2026-12-04-side). qgemmMode
// puts those products on tensor cores instead.
//
// Precision: the weight is already quantized, and the one-row products
// of a decode step already round each activation to 8-bit blocks
// (qmvi.go, quant.QuantizeActivation: steps of 2^-8 of the block's
// largest value). TF32 rounds x and the dequantized weight to 11
// significant bits (relative error 2^-11) and f16 likewise, finer than
// that; bf16 keeps 8 (2^-8 of each value, not of the block's largest).
// Products accumulate in float32 in every mode. f16 alone can overflow
// (|x| > 65504); TF32 and bf16 keep float32's range. Plain f32 x f32
// matmuls (matmul.go) are untouched: they stay float32 unless SetTF32.
type qgemmMode int

const (
	// qgemmFP32: the dequantized f32 weight times x in float32 (the
	// path before tensor cores, kept for A/B runs).
	qgemmFP32 qgemmMode = iota
	// qgemmTF32: the dequantized f32 weight times x, computed as
	// CUBLAS_COMPUTE_32F_FAST_TF32.
	qgemmTF32
	// qgemmF16, qgemmBF16: the weight dequantized into f16 (bf16), x
	// cast to it by one kernel, a mixed GEMM writing f32.
	qgemmF16
	qgemmBF16
)

var qgemmNames = map[string]qgemmMode{"fp32": qgemmFP32, "tf32": qgemmTF32, "f16": qgemmF16, "bf16": qgemmBF16}

// qgemm is the mode of the f32 products past qgemmMinRows rows, read once
// at start like the other kernel switches: LBRX_CUDA_QGEMM=fp32, tf32,
// f16 or bf16; unset or unknown, qgemmDefault.
var qgemm = qgemmFrom(os.Getenv("LBRX_CUDA_QGEMM"))

// qgemmDefault is f16, the fastest measured: on the H200 the 1B-shaped
// GGUF model's 512-token prefill (f32 activations) ran Q4_0 at 25.4k
// tok/s with f16, 26.1k bf16, 20.3-20.9k TF32, 12.0-12.6k fp32, and Q8_0
// at 29.4k, 24.9k, 19.9-21.8k, 12.5-13.1k (first rounds,
// bench/cuda/results/2026-12-04-prefill). It rounds as TF32 does, and it
// is what llama.cpp's cuBLAS path does with quantized weights on GPUs
// with fast f16 (ggml_cuda_mul_mat_cublas: compute type F16, src1 cast
// to f16). A model whose activations into quantized products exceed
// f16's range needs LBRX_CUDA_QGEMM=tf32 (or bf16). The first such
// prefill on a machine also compiles ggml.cu's f16 part (NVRTC, then
// cached on disk), which TF32 does not need; a GGML test that compiled
// the f32 and f16 parts at once took over 45 s on a loaded H200 host.
const qgemmDefault = qgemmF16

func qgemmFrom(v string) qgemmMode {
	if m, ok := qgemmNames[v]; ok {
		return m
	}
	return qgemmDefault
}

// qgemmMinRows is the fewest activation rows the mode applies to: fewer
// (decode steps and small batches) run the matrix-vector kernels, or, for
// the widths without one, stay in float32.
const qgemmMinRows = gmvMaxRows + 1

// qgemmPlan is how one f32 product of m rows runs: the dtype the weight
// is dequantized into (and x cast to, when it is not f32) and whether the
// GEMM computes in TF32.
func qgemmPlan(xt core.DType, m int) (wt core.DType, tf32 bool) {
	if xt != core.F32 || m < qgemmMinRows {
		return xt, false
	}
	switch qgemm {
	case qgemmTF32:
		return core.F32, true
	case qgemmF16:
		return core.F16, false
	case qgemmBF16:
		return core.BF16, false
	}
	return core.F32, false
}

// qgemmRounding is the dtype whose rounding of x and W bounds the error
// of an m-row product of xt activations (tests scale their tolerance by
// it): TF32 rounds like f16 (11 significant bits).
func qgemmRounding(xt core.DType, m int) core.DType {
	wt, tf32 := qgemmPlan(xt, m)
	if tf32 {
		return core.F16
	}
	return wt
}

// dequantGEMM runs out [m, n] = x [m, k] @ W^T for a quantized W [n, k]
// that dequant writes, densely, in a given dtype to a 16-byte aligned
// buffer; x and out are contiguous, of one dtype.
func (d *Device) dequantGEMM(x, out *core.Array, m, n, k int, dequant func(dst devicePtr, dt core.DType) error) error {
	xt := x.DType()
	wt, tf32 := qgemmPlan(xt, m)
	st, err := d.alloc(n*k*wt.Size(), false)
	if err != nil {
		return err
	}
	defer st.Release()
	if err := dequant(st.ptr, wt); err != nil {
		return err
	}
	g := gemmArgs{m: m, n: n, k: k, dt: wt, sa: [2]int{k, 1}, sb: [2]int{1, k}, batch: 1,
		a: dataPtr(x), b: st.ptr, c: dataPtr(out), tf32: tf32}
	if wt != xt {
		// x cast to the weight's dtype; the GEMM writes xt.
		xs, err := d.alloc(m*k*wt.Size(), false)
		if err != nil {
			return err
		}
		defer xs.Release()
		cx, err := core.NewArray(wt, x.Shape(), xs, 0)
		if err != nil {
			return err
		}
		if err := d.elementwise("cast", fmt.Sprintf("cast_%s_%s", suffix(xt), suffix(wt)), cx, x); err != nil {
			return err
		}
		g.a, g.out = xs.ptr, xt
	}
	return d.gemm(g)
}
