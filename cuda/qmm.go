package cuda

import (
	"fmt"
	"os"

	"github.com/lbrx/lbrx/core"
)

// Affine 4/8-bit quantized products of 2 to 32 activation rows (a decode
// batch) run kernels/qmm.cu: a warp per output row, each 16-byte chunk of
// codes dequantized once for all the rows, x staged in shared memory.
// quant.cu's matrix-vector kernel for several rows gives each block 4
// output rows whose chunks its 256 threads split, so on rows of 2048
// 4-bit codes (64 chunks) three threads in four idle and the batch pass
// of a 1B model took 3.5x a one-row pass.

// qmmMaxM is the activation rows one launch takes (QMM_MAXM), qmmWarps
// the warps of a block, each one output row (QMM_WARPS).
const (
	qmmMaxM  = 8
	qmmWarps = 8
)

// qmmOff (LBRX_CUDA_QMM=off) leaves these products to quant.cu's kernel,
// for comparison; read once at start, like the other kernel switches.
var qmmOff = os.Getenv("LBRX_CUDA_QMM") == "off"

// canQMM reports whether qmm takes an m-row product: affine 4- or 8-bit
// codes the matrix-vector kernel could read (canQMV) in groups of at
// least one 16-byte chunk.
func (d *Device) canQMM(x, w *core.Array, q *core.QuantizationInfo, m int) bool {
	return !qmmOff && m > 1 && m <= 4*qmmMaxM && q.Scheme == core.SchemeAffine &&
		(q.Bits == 4 || q.Bits == 8) && q.GroupSize >= 128/q.Bits && d.canQMV(x, w, q)
}

// qmm runs y [m, n] = x [m, k] @ W^T in launches of up to qmmMaxM rows.
func (d *Device) qmm(q *core.QuantizationInfo, w, x, out *core.Array, m, n, k int) error {
	xt := x.DType()
	name := fmt.Sprintf("qmm_affine%d_%s_%s", q.Bits, suffix(xt), suffix(q.Scales.DType()))
	for m0 := 0; m0 < m; m0 += qmmMaxM {
		mb := min(qmmMaxM, m-m0)
		a := (&kargs{}).ptr(dataPtr(x) + devicePtr(m0*k*xt.Size())).ptr(dataPtr(w)).
			ptr(dataPtr(q.Scales)).ptr(dataPtr(q.Biases)).ptr(dataPtr(out) + devicePtr(m0*n*xt.Size())).
			i32(mb).i32(n).i32(k).i32(q.GroupSize)
		if err := d.launch("qmm", xt, name, (n+qmmWarps-1)/qmmWarps, qmmWarps*32, a); err != nil {
			return err
		}
	}
	return nil
}
