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

// Which kernel takes these products, from LBRX_CUDA_QMM, read once at
// start like the other kernel switches: "off" leaves them to quant.cu's
// kernel and "simt" to qmm.cu's, for comparison; "mma" runs f16 and bf16
// activations on sm_80 and later through kernels/qmma.cu (tensor cores),
// others through qmm.cu. The default is qmmDefault.
var (
	qmmOff = os.Getenv("LBRX_CUDA_QMM") == "off"
	qmmMMA = qmmMode(os.Getenv("LBRX_CUDA_QMM"))
)

// qmmDefault is the qmma switch when LBRX_CUDA_QMM is unset: off,
// because on the H200 the 8-client engine ran 2191 tok/s with qmma
// against 2948 with qmm.cu (bench/cuda/results/2026-12-03-final).
const qmmDefault = false

func qmmMode(v string) bool {
	switch v {
	case "mma":
		return true
	case "":
		return qmmDefault
	}
	return false
}

// qmmaWarps is the warps of a qmma block (QMMA_WARPS), which takes 16
// output rows and up to 32 activation rows.
const qmmaWarps = 8

// canQMMA reports whether qmma takes a product qmm takes: f16 or bf16
// activations on a GPU with mma.sync for them.
func (d *Device) canQMMA(x *core.Array) bool {
	return qmmMMA && d.cc >= 80 && (x.DType() == core.F16 || x.DType() == core.BF16)
}

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
	if d.canQMMA(x) {
		// All the rows in one launch: each chunk of codes is dequantized
		// once for all of them.
		name := fmt.Sprintf("qmma_affine%d_%s_%s", q.Bits, suffix(xt), suffix(q.Scales.DType()))
		a := (&kargs{}).ptr(dataPtr(x)).ptr(dataPtr(w)).ptr(dataPtr(q.Scales)).ptr(dataPtr(q.Biases)).
			ptr(dataPtr(out)).i32(m).i32(n).i32(k).i32(q.GroupSize)
		return d.launch("qmma", xt, name, (n+15)/16, qmmaWarps*32, a)
	}
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
