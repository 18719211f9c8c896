package cuda

import (
	"fmt"
	"os"

	"github.com/lbrx/lbrx/core"
)

// Affine products of 2 to qmmiMaxRows activation rows (a decode batch)
// run the integer one-row kernel's several-row instances
// (qmvi_affine<bits>_m<M>_r<R> in kernels/quant.cu): qmvi_act quantizes
// every row of x to 8-bit blocks once, as the one-row kernel does in each
// block, and each chunk of codes is then loaded and unpacked once for up
// to 8 rows. qmm.cu's float kernel reads every row's x as floats from
// shared memory for every output, which bounded the 8-row decode pass of
// a 1B model at 3.4 ms against 1.0 ms for one row (issue 18); quantizing
// the 8 rows in every block of the product instead (the first version)
// cost more than the products on wide weights (BenchmarkQMM, m8 32000x2048:
// 57.5 µs against 36.6 with qmma). Row i of such a product is the same
// bits as the one-row product of row i alone (the kernels' arithmetic per
// row is one template's), so a greedy decode does not depend on the batch.

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

// qmmiBlock (LBRX_CUDA_QMMI_BLOCK=on) sends products of K up to
// qmmiBlockK (QMVI_BLOCK_K) to the _m8b instances, which quantize their
// rows in every block as the one-row kernel does, with no quantizing
// kernel and temporary: on BenchmarkQMM (m8, eager, H200) the first
// version of these kernels did so in 9.7 µs for 2048x2048 and 10.9 for
// 3072x2048 against 14.8 and 14.0 with qmvi_act, while on wide weights it
// lost (32000x2048: 66.8 against 42.2). Off by default: not measured in
// the engine yet.
var qmmiBlock = os.Getenv("LBRX_CUDA_QMMI_BLOCK") == "on"

const qmmiBlockK = 2048

// qmmiTakesAffine reports whether the integer kernels take an m-row
// product with bits-wide affine codes (canQMV checked by the caller):
// 8-bit codes only where the one-row product of such a row does too
// (qmviAffine8), so that both sides of a batch use the same arithmetic.
func qmmiTakesAffine(bits, k, m int) bool {
	return qmmiOn && m > 1 && m <= qmmiMaxRows && qmviTakesAffine(bits, k)
}

// qmmi runs y [m, n] = x [m, k] @ W^T: qmvi_act<bits> quantizes every
// row of x once into a temporary, then launches of up to qmmiLaunchRows
// rows read it (or, with qmmiBlock, launches quantize their own rows), a
// launch of one row (a tail) going to the one-row kernel; the caller has
// checked canQMV and qmmiTakesAffine. parts, when not nil, cuts the n
// outputs into up to three parts written one after another, each
// [m, width] (quantized_matmul_parts); m is then at most qmmiLaunchRows,
// one launch.
func (d *Device) qmmi(q *core.QuantizationInfo, w *core.Array, x, y devicePtr, xt core.DType, m, n, k int, parts []int) error {
	n1, n2 := n, n
	if len(parts) > 0 {
		if m > qmmiLaunchRows || len(parts) > 3 {
			return fmt.Errorf("cuda: qmmi: %d parts of %d rows (at most 3 parts of %d rows)", len(parts), m, qmmiLaunchRows)
		}
		if len(parts) > 1 {
			n1 = parts[0]
		}
		if len(parts) > 2 {
			n2 = parts[0] + parts[1]
		}
	}
	sh := qmmiShape
	early := ""
	if qmvEarly && !written(w) && !written(q.Scales) && !written(q.Biases) {
		early = "e"
	}
	per := sh.rows * sh.warps
	block := qmmiBlock && k <= qmmiBlockK
	// Without block, the codes of x (a byte a value), then the scales of
	// each 32 and the sums of each 16 (4 bytes each), all 16-byte
	// aligned: k is a multiple of 32.
	var xq, xd, xs devicePtr
	if !block {
		total := m * k
		st, err := d.alloc(total+total/32*4+total/16*4, false)
		if err != nil {
			return err
		}
		defer st.Release()
		xq, xd, xs = st.ptr, st.ptr+devicePtr(total), st.ptr+devicePtr(total+total/32*4)
		a := (&kargs{}).ptr(x).ptr(xq).ptr(xd).ptr(xs).i32(total)
		if err := d.launch("quant", xt, fmt.Sprintf("qmvi_act%d_%s", q.Bits, suffix(xt)), (total+actQBlock-1)/actQBlock, 256, a); err != nil {
			return err
		}
	}
	for m0 := 0; m0 < m; m0 += qmmiLaunchRows {
		mb := min(qmmiLaunchRows, m-m0)
		xp, yp := x+devicePtr(m0*k*xt.Size()), y+devicePtr(m0*n*xt.Size())
		if mb == 1 {
			if err := d.qmviAffine(q, w, xp, yp, xt, n, k); err != nil {
				return err
			}
			continue
		}
		var name string
		a := &kargs{}
		if block {
			name = fmt.Sprintf("qmvi_affine%d_m8b_r%d%s_%s_%s", q.Bits, sh.rows, early, suffix(xt), suffix(q.Scales.DType()))
			a.ptr(xp)
		} else {
			inst := 2 // the smallest instance of at least mb rows: 2, 4 or 8
			for inst < mb {
				inst *= 2
			}
			name = fmt.Sprintf("qmvi_affine%d_m%d_r%d%s_%s_%s", q.Bits, inst, sh.rows, early, suffix(xt), suffix(q.Scales.DType()))
			o := m0 * k
			a.ptr(xq + devicePtr(o)).ptr(xd + devicePtr(o/32*4)).ptr(xs + devicePtr(o/16*4))
		}
		a.ptr(dataPtr(w)).ptr(dataPtr(q.Scales)).ptr(dataPtr(q.Biases)).ptr(yp).i32(mb).i32(n).i32(k).i32(q.GroupSize).i32(n1).i32(n2)
		if err := d.launch("quant", xt, name, (n+per-1)/per, sh.warps*32, a); err != nil {
			return err
		}
	}
	return nil
}

// actQBlock is the values each block of qmvi_act quantizes (256 threads,
// 8 values each).
const actQBlock = 2048
