package cuda

import (
	"fmt"
	"os"
	"strings"

	"github.com/lbrx/lbrx/core"
)

// qmvMaxM is how many activation rows one quantized matrix-vector launch
// handles (QMV_MAXM in kernels/quant.cu); larger batches dequantize the
// weight once and multiply through cuBLAS.
const (
	qmvMaxM  = 8
	qmvWarps = 8 // warps per block (QMV_WARPS)
)

// qmvVariant picks the one-activation-row affine kernel per code width:
// "1r<R>" computes R outputs per block (more rows share each load of x).
// Benchmarks compare them; the defaults are the fastest measured on an
// H100 (README): 8 rows a block, no prefetching (its registers cost more
// occupancy than the loads in flight gain).
var qmvVariant = map[int]string{4: "1r8", 8: "1r8"}

var qmvVariantRows = map[string]int{"1r4": 4, "1r8": 8}

// qmvWarpRows is how many outputs a warp of the one-row warp kernels
// (qmv_affine<bits>_w<rows>) computes for rows of fewer than 256 16-byte
// chunks (K = 2048 at 4 or 8 bits: a decode step's q/k/v, o and gate/up
// products), where the block kernels leave threads idle;
// qmvWarpRowsLong is the same for longer rows (the down product's K =
// 8192), where every thread of a block kernel has work and it measured
// faster on an H200 (README). 0 keeps the block kernels (qmvVariant).
// LBRX_CUDA_QMV=<short>[,<long>] picks them by name (w1, w2, w4, block),
// for benchmarks.
var qmvWarpRows, qmvWarpRowsLong = qmvWarpRowsFrom(os.Getenv("LBRX_CUDA_QMV"))

// qmvWarpMinChunks is the row length, in chunks, from which
// qmvWarpRowsLong applies: a block kernel's thread count.
const qmvWarpMinChunks = qmvWarps * 32

func qmvWarpRowsFrom(v string) (short, long int) {
	short, long = 2, 0
	s, l, two := strings.Cut(v, ",")
	rows := map[string]int{"block": 0, "w1": 1, "w2": 2, "w4": 4}
	if r, ok := rows[s]; ok {
		short = r
		if !two {
			long = r
		}
	}
	if r, ok := rows[l]; ok && two {
		long = r
	}
	return short, long
}

const qmvWarpBlock = 4 // warps per block of the warp kernels

// qmvEarly lets the warp kernels load their first weight chunks before
// waiting for the kernel before them (programmatic dependent launch,
// pdl.go), when no kernel has written the weight, its scales or biases
// (Storage.written: weights uploaded from the host), so that kernel
// cannot be writing them. On an H200 the 1B-shaped decode step went from
// 825.6 to 871.2 tok/s at 8 bits and from 877.6-923.9 to 938.1-942.8 at
// 4 bits (README). LBRX_CUDA_QMV_EARLY=off turns it off.
var qmvEarly = os.Getenv("LBRX_CUDA_QMV_EARLY") != "off"

// written reports whether a kernel has written a's storage.
func written(a *core.Array) bool {
	s, ok := a.Storage().(*Storage)
	return !ok || s.written.Load()
}

// dequantVector sends 4- and 8-bit affine dequantization to the 16-byte
// kernels (dequant_affine4/8); benchmarks turn it off to compare.
var dequantVector = true

// q4q8QMV sends Q8_0/Q4_0 matrix-vector products to quant.cu's qmv kernels
// instead of ggml.cu's gmv, which covers every ggml type. gmv is the
// default: on an H200 it read Q4_0/Q8_0 at 2381/3406 GB/s against qmv's
// 1769/2336 for a 65536x4096 weight (K of a 4096-wide model), and at
// 2460/3251 against 2622/3244 for 16384x16384 (README); benchmarks
// compare the two.
var q4q8QMV = false

// quantizedMatmul runs y = x @ W^T for a quantized weight W [N, K]:
// Inputs[0] is x [..., K] (F32, F16 or BF16), Inputs[1] the stored codes
// with their QuantizationInfo (MLX affine: U32 [N, K*bits/32] with Scales
// and Biases [N, K/GroupSize]; ggml blocks (ggmlTypes): U8 [N, K/block
// values*block bytes]), and Out is [..., N] in x's dtype.
func (d *Device) quantizedMatmul(op *core.Op) error {
	if len(op.Inputs) != 2 {
		return fmt.Errorf("cuda: quantized_matmul takes 2 inputs, got %d", len(op.Inputs))
	}
	x, w, out := op.Inputs[0], op.Inputs[1], op.Out
	q := w.Quant()
	if q == nil {
		return fmt.Errorf("cuda: quantized_matmul: weight %v has no quantization info", w)
	}
	if len(q.Shape) != 2 {
		return fmt.Errorf("cuda: quantized_matmul: weight %v: logical shape %v is not [out, in]", w, q.Shape)
	}
	n, k := q.Shape[0], q.Shape[1]
	xt := x.DType()
	if xt != core.F32 && xt != core.F16 && xt != core.BF16 {
		return unsupported(op, "activation dtype %v", xt)
	}
	xs := x.Shape()
	if x.Rank() < 1 || xs[len(xs)-1] != k || out.DType() != xt || out.NumElements() != x.NumElements()/max(k, 1)*n {
		return fmt.Errorf("cuda: quantized_matmul: x %v, weight [%d %d] and output %v do not fit", xs, n, k, out.Shape())
	}
	m := 1
	if k > 0 {
		m = x.NumElements() / k
	}
	if m == 0 || n == 0 {
		return nil
	}
	if k == 0 {
		return check("cuMemsetD8Async", drv.memsetD8Async(dataPtr(out), 0, uint64(out.NumElements()*xt.Size()), d.stream))
	}
	if !w.IsContiguous() {
		return unsupported(op, "strided quantized weight")
	}
	if err := checkQuantShape(w, q, n, k); err != nil {
		return err
	}
	cx, release, err := d.contiguous(x)
	if err != nil {
		return err
	}
	defer release()
	if m > 1 && q.Scheme == core.SchemeAffine && d.canQMV(cx, w, q) && qmmiTakesAffine(q.Bits, k, m) {
		return d.qmmi(q, w, dataPtr(cx), dataPtr(out), xt, m, n, k, nil) // a few rows, integer: qmmi.go
	}
	if d.canQMM(cx, w, q, m) {
		return d.qmm(q, w, cx, out, m, n, k) // a few rows, float: qmm.go
	}
	if m == 1 && q.Scheme == core.SchemeAffine && d.canQMV(cx, w, q) && qmviTakesAffine(q.Bits, k) {
		// Only a product of one row, or of a few through qmmi (whose
		// rows are the same bits as this kernel's): a one-row tail of a
		// longer product stays on the float kernels with the other
		// rows, so a row's result does not depend on the batch around it.
		return d.qmviAffine(q, w, dataPtr(cx), dataPtr(out), xt, n, k)
	}
	if m <= qmvMaxM*4 && d.canQMV(cx, w, q) {
		for m0 := 0; m0 < m; m0 += qmvMaxM {
			mb := min(qmvMaxM, m-m0)
			xp := dataPtr(cx) + devicePtr(m0*k*xt.Size())
			yp := dataPtr(out) + devicePtr(m0*n*xt.Size())
			if err := d.qmv(q, w, xp, yp, xt, mb, n, k); err != nil {
				return err
			}
		}
		return nil
	}
	if t, ok := ggmlTypes[q.Scheme]; ok {
		return d.ggmlMatmul(op, t, cx, w, out, m, n, k)
	}
	// Affine matrix-matrix (or widths without a matrix-vector kernel):
	// dequantize W and multiply with cuBLAS reading W transposed
	// (qgemm.go).
	return d.dequantGEMM(cx, out, m, n, k, func(dst devicePtr, wt core.DType) error {
		return d.dequantize(q, w, dst, wt, n, k)
	})
}

// checkQuantShape validates the stored codes against the logical shape.
func checkQuantShape(w *core.Array, q *core.QuantizationInfo, n, k int) error {
	ws := w.Shape()
	switch q.Scheme {
	case core.SchemeAffine:
		if q.Bits < 2 || q.Bits > 8 || q.GroupSize <= 0 || k%q.GroupSize != 0 || k*q.Bits%32 != 0 {
			return fmt.Errorf("cuda: quantized weight %v: %d-bit groups of %d do not divide %d columns", w, q.Bits, q.GroupSize, k)
		}
		if w.DType() != core.U32 || len(ws) != 2 || ws[0] != n || ws[1] != k*q.Bits/32 {
			return fmt.Errorf("cuda: quantized weight %v: want U32 [%d %d] codes for %d-bit [%d %d]", w, n, k*q.Bits/32, q.Bits, n, k)
		}
		if q.Scales == nil || q.Biases == nil {
			return fmt.Errorf("%w: cuda: quantized weight %v: affine codes need scales and biases (zero points are not supported)", core.ErrUnsupported, w)
		}
		want := core.Shape{n, k / q.GroupSize}
		for _, p := range []*core.Array{q.Scales, q.Biases} {
			if !p.Shape().Equal(want) || !p.IsContiguous() {
				return fmt.Errorf("cuda: quantized weight %v: scales/biases %v must be contiguous %v", w, p, want)
			}
			if s, ok := p.Storage().(*Storage); !ok || s.dev != nil && s.dev != w.Storage().(*Storage).dev {
				return fmt.Errorf("cuda: quantized weight %v: scales/biases %v are not on its device", w, p)
			}
			if dt := p.DType(); dt != core.F32 && dt != core.F16 && dt != core.BF16 {
				return fmt.Errorf("%w: cuda: scales of dtype %v", core.ErrUnsupported, dt)
			}
		}
		if q.Scales.DType() != q.Biases.DType() {
			return fmt.Errorf("%w: cuda: scales %v and biases %v differ in dtype", core.ErrUnsupported, q.Scales.DType(), q.Biases.DType())
		}
	default:
		if t, ok := ggmlTypes[q.Scheme]; ok {
			return checkGGMLShape(w, q, t, n, k)
		}
		return fmt.Errorf("%w: cuda: quantization scheme %q", core.ErrUnsupported, q.Scheme)
	}
	return nil
}

// canQMV reports whether the matrix-vector kernels can read the operands:
// 4- or 8-bit affine codes in 16-byte aligned rows with power-of-two groups
// of at least a 16-byte chunk's codes and fewer than 2^31 chunks, ggml blocks at even addresses, activations
// 16-byte aligned.
func (d *Device) canQMV(x, w *core.Array, q *core.QuantizationInfo) bool {
	if dataPtr(x)%16 != 0 {
		return false
	}
	switch q.Scheme {
	case core.SchemeAffine:
		// The kernel shifts for the group and indexes in 32 bits.
		n, k := q.Shape[0], q.Shape[1]
		return (q.Bits == 4 || q.Bits == 8) && dataPtr(w)%16 == 0 && k*q.Bits%128 == 0 &&
			q.GroupSize&(q.GroupSize-1) == 0 && q.GroupSize >= 128/q.Bits && n*(k*q.Bits/128) < 1<<31 && n*(k/q.GroupSize) < 1<<31
	case core.SchemeQ8_0, core.SchemeQ4_0:
		return q4q8QMV && dataPtr(w)%2 == 0 && w.NumElements() < 1<<31
	}
	return false
}

func (d *Device) qmv(q *core.QuantizationInfo, w *core.Array, x, y devicePtr, xt core.DType, m, n, k int) error {
	a := (&kargs{}).ptr(x).ptr(dataPtr(w))
	block := qmvWarps * 32
	switch q.Scheme {
	case core.SchemeAffine:
		a.ptr(dataPtr(q.Scales)).ptr(dataPtr(q.Biases)).ptr(y).i32(m).i32(n).i32(k).i32(q.GroupSize)
		// One activation row: qmvRows outputs per block; more: 4 (the
		// accumulators take MAXM*ROWS registers).
		variant, rows := "8", 4
		wr := qmvWarpRows
		if k*q.Bits/128 >= qmvWarpMinChunks {
			wr = qmvWarpRowsLong
		}
		if m == 1 && wr > 0 {
			wa := (&kargs{}).ptr(x).ptr(dataPtr(w)).ptr(dataPtr(q.Scales)).ptr(dataPtr(q.Biases)).ptr(y).i32(n).i32(k).i32(q.GroupSize)
			early := ""
			if qmvEarly && !written(w) && !written(q.Scales) && !written(q.Biases) {
				early = "e"
			}
			name := fmt.Sprintf("qmv_affine%d_w%d%s_%s_%s", q.Bits, wr, early, suffix(xt), suffix(q.Scales.DType()))
			per := qmvWarpBlock * wr
			return d.launch("quant", xt, name, (n+per-1)/per, qmvWarpBlock*32, wa)
		}
		if m == 1 {
			variant = qmvVariant[q.Bits]
			rows = qmvVariantRows[variant]
		}
		name := fmt.Sprintf("qmv_affine%d_%s_%s_%s", q.Bits, variant, suffix(xt), suffix(q.Scales.DType()))
		grid := (n + rows - 1) / rows
		return d.launch("quant", xt, name, grid, block, a)
	default:
		a.ptr(y).i32(m).i32(n).i32(k)
		// One activation row: 4 outputs per block; more: 2.
		variant, rows := 8, 2
		if m == 1 {
			variant, rows = 1, 4
		}
		name := fmt.Sprintf("qmv_%s_%d_%s", schemeKernel(q.Scheme), variant, suffix(xt))
		grid := (n + rows - 1) / rows
		return d.launch("quant", xt, name, grid, block, a)
	}
}

func schemeKernel(s core.Scheme) string {
	if s == core.SchemeQ4_0 {
		return "q4_0"
	}
	return "q8_0"
}

// dequantize writes affine W [N, K] in dtype xt to dst (16-byte
// aligned). 4- and 8-bit codes in whole 16-byte chunks of one group run a
// kernel taking a chunk a thread with 16-byte loads and stores; other
// widths one value a thread.
func (d *Device) dequantize(q *core.QuantizationInfo, w *core.Array, dst devicePtr, xt core.DType, n, k int) error {
	total := int64(n) * int64(k)
	if per := 128 / max(q.Bits, 1); dequantVector && (q.Bits == 4 || q.Bits == 8) && k%per == 0 && q.GroupSize%per == 0 &&
		q.GroupSize&(q.GroupSize-1) == 0 && dataPtr(w)%16 == 0 && dst%16 == 0 && int64(k/per)*int64(n) < 1<<40 {
		chunks := total / int64(per)
		a := (&kargs{}).ptr(dataPtr(w)).ptr(dataPtr(q.Scales)).ptr(dataPtr(q.Biases)).ptr(dst).i64(int(chunks)).i32(k).i32(q.GroupSize)
		name := fmt.Sprintf("dequant_affine%d_%s_%s", q.Bits, suffix(q.Scales.DType()), suffix(xt))
		return d.launch("quant", xt, name, d.gridFor(chunks), gridBlock, a)
	}
	a := (&kargs{}).ptr(dataPtr(w))
	a.ptr(dataPtr(q.Scales)).ptr(dataPtr(q.Biases)).ptr(dst).i32(n).i32(k).i32(q.GroupSize).i32(q.Bits)
	name := fmt.Sprintf("dequant_affine_%s_%s", suffix(q.Scales.DType()), suffix(xt))
	return d.launch("quant", xt, name, d.gridFor(total), gridBlock, a)
}
