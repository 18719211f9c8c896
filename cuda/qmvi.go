package cuda

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/lbrx/lbrx/core"
)

// The integer one-row products (qmvi_affine* in kernels/quant.cu, gmvi_*
// in kernels/ggml.cu) quantize the activation row to 8-bit blocks of 32
// in each block's shared memory, as the CPU's integer kernels do
// (quant/act_q8.go), and multiply codes with dp4a: four byte products an
// instruction where the float kernels spend a conversion and an FMA per
// code. They serve one activation row (a decode step) with 4- or 8-bit
// affine codes and every ggml block type, for K up to actQMaxK; the
// result is the product with the activation as quantized (the error
// integration's parity suite allows as actQuantSlack), not with x itself.

// actQMaxK is ACTQ_MAXK in kernels/common.cuh: the longest row the shared
// quantized copy of x holds.
const actQMaxK = 8192

// qmviShape is how an integer kernel is launched: rows outputs a warp,
// warps a block. Every block quantizes the whole row of x, so more rows a
// block spread that work over more outputs, and fewer give more blocks.
type qmviShape struct{ rows, warps int }

// qmviLongK is the row length from which qmviLong applies (the down
// projection's K = 8192 in the model, against 2048 elsewhere).
const qmviLongK = 4096

// qmviOn, qmviShort and qmviLong come from LBRX_CUDA_QMVI: "off" keeps the
// float kernels for every product (A/B runs); "r<rows>w<warps>[,r<rows>w<warps>]"
// sets the launch shape for rows shorter than qmviLongK and, after the
// comma, for longer ones (one shape: both).
var qmviOn, qmviShort, qmviLong = qmviFrom(os.Getenv("LBRX_CUDA_QMVI"))

func qmviFrom(v string) (on bool, short, long qmviShape) {
	short, long = qmviShape{2, 4}, qmviShape{1, 8}
	if v == "off" {
		return false, short, long
	}
	s, l, two := strings.Cut(v, ",")
	if sh, ok := parseQMVIShape(s); ok {
		short = sh
		if !two {
			long = sh
		}
	}
	if lh, ok := parseQMVIShape(l); ok && two {
		long = lh
	}
	return true, short, long
}

// parseQMVIShape reads "r<rows>w<warps>" with rows 1, 2 or 4 (the kernels
// instantiated) and warps 1 to 8 (the kernels' launch bound of 256).
func parseQMVIShape(v string) (qmviShape, bool) {
	r, w, ok := strings.Cut(strings.TrimPrefix(v, "r"), "w")
	if !ok || !strings.HasPrefix(v, "r") {
		return qmviShape{}, false
	}
	rows, err1 := strconv.Atoi(r)
	warps, err2 := strconv.Atoi(w)
	if err1 != nil || err2 != nil || (rows != 1 && rows != 2 && rows != 4) || warps < 1 || warps > 8 {
		return qmviShape{}, false
	}
	return qmviShape{rows, warps}, true
}

func qmviShapeFor(k int) qmviShape {
	if k >= qmviLongK {
		return qmviLong
	}
	return qmviShort
}

// canQMVI reports whether the integer kernel takes a one-row product of
// K columns: rows of whole activation blocks that fit the shared copy.
func canQMVI(k int) bool {
	return qmviOn && k > 0 && k%32 == 0 && k <= actQMaxK
}

// qmviAffine launches qmvi_affine<bits>_r<rows>[e] for one activation row
// (x and y device pointers); the caller has checked canQMV and canQMVI.
func (d *Device) qmviAffine(q *core.QuantizationInfo, w *core.Array, x, y devicePtr, xt core.DType, n, k int) error {
	sh := qmviShapeFor(k)
	a := (&kargs{}).ptr(x).ptr(dataPtr(w)).ptr(dataPtr(q.Scales)).ptr(dataPtr(q.Biases)).ptr(y).i32(n).i32(k).i32(q.GroupSize)
	early := ""
	if qmvEarly && !written(w) && !written(q.Scales) && !written(q.Biases) {
		early = "e"
	}
	name := fmt.Sprintf("qmvi_affine%d_r%d%s_%s_%s", q.Bits, sh.rows, early, suffix(xt), suffix(q.Scales.DType()))
	per := sh.rows * sh.warps
	return d.launch("quant", xt, name, (n+per-1)/per, sh.warps*32, a)
}

// gmvi launches gmvi_<type>_r<rows>[e] for one activation row; the caller
// has checked the weight's alignment and canQMVI.
func (d *Device) gmvi(t ggmlType, w *core.Array, x, y devicePtr, xt core.DType, n, k int) error {
	sh := qmviShapeFor(k)
	a := (&kargs{}).ptr(x).ptr(dataPtr(w)).ptr(y).i32(n).i32(k)
	early := ""
	if qmvEarly && !written(w) {
		early = "e"
	}
	name := fmt.Sprintf("gmvi_%s_r%d%s_%s", t.kernel, sh.rows, early, suffix(xt))
	per := sh.rows * sh.warps
	return d.launch("ggml", xt, name, (n+per-1)/per, sh.warps*32, a)
}
