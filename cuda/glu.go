package cuda

import (
	"fmt"
	"os"

	"github.com/lbrx/lbrx/core"
)

// gluOn lets the one-row product kernels read silu(g) * u from [g | u]
// themselves; LBRX_CUDA_GLU=off runs silu_mul and the plain product
// instead (two kernels), for comparison. Every block of the gated
// kernels recomputes the gated row, which costs what the separate
// kernel saves where the weight is small.
var gluOn = os.Getenv("LBRX_CUDA_GLU") != "off"

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
	if m == 1 && gluOn {
		if q := w.Quant(); q != nil {
			if q.Scheme == core.SchemeAffine && xt != core.F64 && w.IsContiguous() && len(q.Shape) == 2 && q.Shape[1] == k &&
				checkQuantShape(w, q, q.Shape[0], k) == nil && d.canQMV(gu, w, q) && (q.Bits == 4 || q.Bits == 8) {
				n := q.Shape[0]
				a := (&kargs{}).ptr(dataPtr(gu)).ptr(dataPtr(w)).ptr(dataPtr(q.Scales)).ptr(dataPtr(q.Biases)).ptr(dataPtr(out)).
					i32(1).i32(n).i32(k).i32(q.GroupSize)
				name := fmt.Sprintf("qmv_affine%d_1r8g_%s_%s", q.Bits, suffix(xt), suffix(q.Scales.DType()))
				return d.launch("quant", xt, name, (n+7)/8, qmvWarps*32, a)
			}
		} else if x, err := core.NewArray(xt, core.Shape{1, k}, gu.Storage(), gu.Offset()); err == nil && canGEMV(x, w, out) {
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
