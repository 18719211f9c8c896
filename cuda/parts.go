package cuda

import (
	"github.com/lbrx/lbrx/core"
)

// quantizedMatmulParts runs core's quantized_matmul_parts. Weights that
// are consecutive row slices of one stacked affine weight (a model's
// q/k/v or gate/up on this device) and a product of 2 to qmmiLaunchRows
// rows go to one several-row integer launch (qmmi.go) writing the parts
// one after another: one quantization of x and one launch instead of one
// each a part, and every row still the bits of its one-row product.
// Anything else runs as one quantized_matmul a part, into its slice of
// the output.
func (d *Device) quantizedMatmulParts(op *core.Op) error {
	x, ws, outs, err := core.QuantizedParts(op)
	if err != nil {
		return err
	}
	if q, parts := stackedParts(x, ws); q != nil && d.canQMV(x, ws[0], q) {
		m, n, k := x.Dim(0), q.Shape[0], q.Shape[1]
		for i, w := range ws {
			if err := checkQuantShape(w, w.Quant(), parts[i], k); err != nil {
				return err
			}
		}
		return d.qmmi(q, ws[0], dataPtr(x), dataPtr(op.Out), x.DType(), m, n, k, parts)
	}
	for i, w := range ws {
		if err := d.quantizedMatmul(&core.Op{Name: "quantized_matmul", Inputs: []*core.Array{x, w}, Out: outs[i]}); err != nil {
			return err
		}
	}
	return nil
}

// stackedParts returns the quantization of the stacked weight whose
// consecutive row slices ws are (ws[0]'s, its shape [ΣN_i, K]) and each
// part's rows, when one qmmi launch can take them: 2 or 3 contiguous
// affine weights of one format, their codes, scales and biases each one
// run of device memory in order, and a product of 2 to qmmiLaunchRows
// rows of a contiguous x. Otherwise it returns nil.
func stackedParts(x *core.Array, ws []*core.Array) (*core.QuantizationInfo, []int) {
	m, k := x.Dim(0), x.Dim(1)
	if len(ws) < 2 || len(ws) > 3 || m < 2 || m > qmmiLaunchRows || !x.IsContiguous() {
		return nil, nil
	}
	q0 := ws[0].Quant()
	if q0.Scheme != core.SchemeAffine || !qmmiTakesAffine(q0.Bits, k, m) {
		return nil, nil
	}
	// Each part's codes, scales and biases must start where the part
	// before ended (the loop checks q0's own before reading them).
	var wp, sp, bp devicePtr
	parts := make([]int, len(ws))
	n := 0
	for i, w := range ws {
		q := w.Quant()
		if !w.IsContiguous() || w.DType() != core.U32 || q.Scheme != q0.Scheme || q.Bits != q0.Bits || q.GroupSize != q0.GroupSize ||
			q.ZeroPoints != nil || q.Scales == nil || q.Biases == nil || !q.Scales.IsContiguous() || !q.Biases.IsContiguous() ||
			q.Scales.DType() != q0.Scales.DType() || q.Biases.DType() != q0.Biases.DType() || w.Storage() != ws[0].Storage() {
			return nil, nil
		}
		if i == 0 {
			wp, sp, bp = dataPtr(w), dataPtr(q.Scales), dataPtr(q.Biases)
		} else if dataPtr(w) != wp || dataPtr(q.Scales) != sp || dataPtr(q.Biases) != bp {
			return nil, nil
		}
		ni := q.Shape[0]
		wp += devicePtr(ni * k * q.Bits / 8)
		sp += devicePtr(ni * (k / q.GroupSize) * q.Scales.DType().Size())
		bp += devicePtr(ni * (k / q.GroupSize) * q.Biases.DType().Size())
		parts[i] = ni
		n += ni
	}
	all := *q0
	all.Shape = core.Shape{n, k}
	return &all, parts
}
