package cuda

import (
	"fmt"
	"os"

	"github.com/lbrx/lbrx/core"
)

// Affine products of 2 to qmmiMaxRows activation rows (a decode batch)
// run the integer one-row kernel's several-row instances
// (qmvi_affine<bits>_m<M>_r<R> in kernels/quant.cu): every row of x is
// quantized to 8-bit blocks as for one row, and each chunk of codes is
// loaded and unpacked once for up to 8 rows. qmm.cu's float kernel reads
// every row's x as floats from shared memory for every output, which
// bounded the 8-row decode pass of a 1B model at 3.4 ms against 1.0 ms
// for one row (issue 18). Row i of such a product is the same bits as
// the one-row product of row i alone (the kernels' arithmetic per row is
// one template's), so a greedy decode does not depend on the batch.

// qmmiMaxRows is the most rows the integer path takes (in launches of up
// to qmmiLaunchRows, the largest instance); longer products are prefill.
const (
	qmmiMaxRows    = 32
	qmmiLaunchRows = 8
)

// qmmiOn and qmmiShape come from LBRX_CUDA_QMMI: "off" leaves these
// products to qmm.cu (LBRX_CUDA_QMM) for comparison; "r<rows>w<warps>"
// (rows 2 or 4, the instances compiled) sets the launch shape, by default
// qmmiDefault. LBRX_CUDA_QMVI=off turns it off too: the integer kernels
// quantize x, and that switch keeps every product on x itself.
var qmmiOn, qmmiShape = qmmiFrom(os.Getenv("LBRX_CUDA_QMMI"))

// qmmiDefault is the launch shape when LBRX_CUDA_QMMI does not set one.
var qmmiDefault = qmviShape{rows: 2, warps: 8}

func qmmiFrom(v string) (bool, qmviShape) {
	if v == "off" {
		return false, qmmiDefault
	}
	if sh, ok := parseQMVIShape(v); ok && sh.rows > 1 {
		return true, sh
	}
	return true, qmmiDefault
}

// qmmiTakesAffine reports whether the integer kernels take an m-row
// product with bits-wide affine codes (canQMV checked by the caller):
// 8-bit codes only where the one-row product of such a row does too
// (qmviAffine8), so that both sides of a batch use the same arithmetic.
func qmmiTakesAffine(bits, k, m int) bool {
	return qmmiOn && m > 1 && m <= qmmiMaxRows && qmviTakesAffine(bits, k)
}

// qmmi runs y [m, n] = x [m, k] @ W^T in launches of up to qmmiLaunchRows
// rows, a launch of one row (a tail) through the one-row kernel; the
// caller has checked canQMV and qmmiTakesAffine.
func (d *Device) qmmi(q *core.QuantizationInfo, w *core.Array, x, y devicePtr, xt core.DType, m, n, k int) error {
	sh := qmmiShape
	early := ""
	if qmvEarly && !written(w) && !written(q.Scales) && !written(q.Biases) {
		early = "e"
	}
	per := sh.rows * sh.warps
	for m0 := 0; m0 < m; m0 += qmmiLaunchRows {
		mb := min(qmmiLaunchRows, m-m0)
		xp, yp := x+devicePtr(m0*k*xt.Size()), y+devicePtr(m0*n*xt.Size())
		if mb == 1 {
			if err := d.qmviAffine(q, w, xp, yp, xt, n, k); err != nil {
				return err
			}
			continue
		}
		inst := 2 // the smallest instance of at least mb rows: 2, 4 or 8
		for inst < mb {
			inst *= 2
		}
		name := fmt.Sprintf("qmvi_affine%d_m%d_r%d%s_%s_%s", q.Bits, inst, sh.rows, early, suffix(xt), suffix(q.Scales.DType()))
		a := (&kargs{}).ptr(xp).ptr(dataPtr(w)).ptr(dataPtr(q.Scales)).ptr(dataPtr(q.Biases)).ptr(yp).
			i32(mb).i32(n).i32(k).i32(q.GroupSize)
		if err := d.launch("quant", xt, name, (n+per-1)/per, sh.warps*32, a); err != nil {
			return err
		}
	}
	return nil
}
