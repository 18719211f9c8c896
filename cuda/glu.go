package cuda

import (
	"fmt"
	"os"

	"github.com/lbrx/lbrx/core"
)

// gluDense and gluQuant let the one-row product kernels read silu(g) * u
// from [g | u] themselves (gemv_glu for float weights, the _1r8g affine
// kernels for quantized ones) instead of running silu_mul first. Every
// block of a gated kernel recomputes the whole gated row, which can cost
// more than the separate kernel saves: on an H200 the 1B-shaped decode
// step measured 869 tok/s for f16 with gemv_glu, while 8- and 4-bit
// decode lost 5-9% with _1r8g (p50 1.30 -> 1.36 ms, 1.23 -> 1.34 ms), so
// the quantized kernels are off unless LBRX_CUDA_GLU=on (and
// models/llama keeps silu_mul apart for quantized weights);
// LBRX_CUDA_GLU=off turns both off.
var (
	gluDense = os.Getenv("LBRX_CUDA_GLU") != "off"
	gluQuant = os.Getenv("LBRX_CUDA_GLU") == "on"
)

// siluMulMatmul runs core's silu_mul_matmul: for one activation row the
// product kernels read silu(g) * u straight from gu = [g | u] (the _1r8g
// affine kernels, gemv_glu); otherwise silu_mul writes the gated row into
// a temporary that the plain product then reads, both on the GPU.
func (d *Device) siluMulMatmul(op *core.Op) error {
	if len(op.Inputs) != 2 {
		return fmt.Errorf("cuda: silu_mul_matmul takes gu and a weight, got %d inputs", len(op.Inputs))
	}
	gu, w, out := op.Inputs[0], op.Inputs[1], op.Out
	xt := gu.DType()
	if gu.Rank() != 2 || gu.Shape()[1]%2 != 0 || !gu.IsContiguous() || out.DType() != xt {
		return fmt.Errorf("cuda: silu_mul_matmul wants a contiguous gu [M, 2K] and an output of its dtype")
	}
	m, k := gu.Shape()[0], gu.Shape()[1]/2
	if m == 0 || out.NumElements() == 0 {
		return nil
	}
	if m == 1 {
		if q := w.Quant(); q != nil {
			if gluQuant && q.Scheme == core.SchemeAffine && xt != core.F64 && w.IsContiguous() && len(q.Shape) == 2 && q.Shape[1] == k &&
				checkQuantShape(w, q, q.Shape[0], k) == nil && d.canQMV(gu, w, q) && (q.Bits == 4 || q.Bits == 8) {
				n := q.Shape[0]
				a := (&kargs{}).ptr(dataPtr(gu)).ptr(dataPtr(w)).ptr(dataPtr(q.Scales)).ptr(dataPtr(q.Biases)).ptr(dataPtr(out)).
					i32(1).i32(n).i32(k).i32(q.GroupSize)
				name := fmt.Sprintf("qmv_affine%d_1r8g_%s_%s", q.Bits, suffix(xt), suffix(q.Scales.DType()))
				return d.launch("quant", xt, name, (n+7)/8, qmvWarps*32, a)
			}
		} else if x, err := core.NewArray(xt, core.Shape{1, k}, gu.Storage(), gu.Offset()); gluDense && err == nil && canGEMV(x, w, out) {
			// canGEMV checks x's alignment and length; u follows g at K
			// elements, aligned too since K is a multiple of 8.
			n := w.Shape()[1]
			a := (&kargs{}).ptr(dataPtr(gu)).ptr(dataPtr(w)).ptr(dataPtr(out)).i32(n).i32(k)
			return d.launch("quant", xt, "gemv_glu_"+suffix(xt), (n+gemvRows-1)/gemvRows, qmvWarps*32, a)
		}
	}
	// Any other shape or weight: the gated rows into a temporary, then
	// the plain product.
	st, err := d.alloc(m*k*xt.Size(), false)
	if err != nil {
		return err
	}
	defer st.Release()
	h, err := core.NewArray(xt, core.Shape{m, k}, st, 0)
	if err != nil {
		return err
	}
	grid := d.gridFor(int64(m * k))
	for r := range m {
		row := dataPtr(gu) + devicePtr(r*2*k*xt.Size())
		args := (&kargs{}).ptr(row).ptr(row + devicePtr(k*xt.Size())).ptr(st.ptr + devicePtr(r*k*xt.Size())).i64(k)
		if err := d.launch("fused", xt, "silu_mul_"+suffix(xt), grid, gridBlock, args); err != nil {
			return err
		}
	}
	if w.Quant() != nil {
		return d.quantizedMatmul(&core.Op{Name: "quantized_matmul", Inputs: []*core.Array{h, w}, Out: out})
	}
	return d.matmul(&core.Op{Name: "matmul", Inputs: []*core.Array{h, w}, Out: out})
}
