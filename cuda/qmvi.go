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
// code (the affine ones for several rows too: qmmi.go). They serve one
// activation row (a decode step) with 4-bit affine
// codes (8-bit too with qmviAffine8) and every ggml block type, for K up
// to actQMaxK; the
// result is the product with the activation as quantized (the error
// integration's parity suite allows as actQuantSlack), not with x itself.

// actQMaxK is ACTQ_MAXK in kernels/common.cuh: the longest row the shared
// quantized copy of x holds.
const actQMaxK = 8192

// qmviShape is how an integer kernel is launched: rows outputs a warp,
// warps a block. Every block quantizes the whole row of x, so more rows a
// block spread that work over more outputs, and fewer give more blocks.
type qmviShape struct{ rows, warps int }

// qmviLongK is the row length from which the long shapes apply (the
// down projection's K = 8192 in the model, against 2048
// elsewhere).
const qmviLongK = 4096

// qmviOn and the launch shapes ([0] for rows shorter than qmviLongK, [1]
// for longer ones) come from LBRX_CUDA_QMVI: "off" keeps the float
// kernels for every product (A/B runs); "r<rows>w<warps>[,r<rows>w<warps>]"
// sets the short and, after the comma, the long shape of both families
// (one shape: both lengths). The defaults are what decoded fastest on the
// H200 (README, issue 13): 2 rows a warp and 8 warps a block for affine
// codes (q4 964-989 tok/s against 911-955 with r2w4,r1w8); 2 rows and 4
// warps, 1 row and 8 warps for ggml blocks (GGUF Q4_0 f16 892-917 tok/s
// against 875 with r2w8).
var qmviOn, qmviAffineShapes, qmviGGMLShapes = qmviFrom(os.Getenv("LBRX_CUDA_QMVI"))

// qmviAffine8 sends 8-bit affine codes to the integer kernels too: off by
// default, since they decoded 3-4% slower than the float warp kernels in
// each of three interleaved H200 runs (q8 843.6 against 880.3 tok/s,
// 817-845 against 847-850); the 4-bit code words, whose float path spends
// a byte permute and an FMA per code, gain. LBRX_CUDA_QMVI_A8=on turns it
// on.
var qmviAffine8 = os.Getenv("LBRX_CUDA_QMVI_A8") == "on"

func qmviFrom(v string) (on bool, affine, ggml [2]qmviShape) {
	affine = [2]qmviShape{{2, 8}, {2, 8}}
	ggml = [2]qmviShape{{2, 4}, {1, 8}}
	if v == "off" {
		return false, affine, ggml
	}
	s, l, two := strings.Cut(v, ",")
	sh, okS := parseQMVIShape(s)
	lh, okL := parseQMVIShape(l)
	switch {
	case okS && !two:
		affine, ggml = [2]qmviShape{sh, sh}, [2]qmviShape{sh, sh}
	case okS && okL:
		affine, ggml = [2]qmviShape{sh, lh}, [2]qmviShape{sh, lh}
	}
	return true, affine, ggml
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

func qmviShapeFor(shapes [2]qmviShape, k int) qmviShape {
	if k >= qmviLongK {
		return shapes[1]
	}
	return shapes[0]
}

// canQMVI reports whether the integer kernel takes a one-row product of
// K columns: rows of whole activation blocks that fit the shared copy.
func canQMVI(k int) bool {
	return qmviOn && k > 0 && k%32 == 0 && k <= actQMaxK
}

// qmviTakesAffine reports whether the integer kernel takes a one-row
// product with bits-wide affine codes (canQMV checked by the caller).
func qmviTakesAffine(bits, k int) bool {
	return canQMVI(k) && (bits == 4 || bits == 8 && qmviAffine8)
}

// qmviAffine launches qmvi_affine<bits>_r<rows>[e] for one activation row
// (x and y device pointers); the caller has checked canQMV and canQMVI.
func (d *Device) qmviAffine(q *core.QuantizationInfo, w *core.Array, x, y devicePtr, xt core.DType, n, k int) error {
	sh := qmviShapeFor(qmviAffineShapes, k)
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
	sh := qmviShapeFor(qmviGGMLShapes, k)
	a := (&kargs{}).ptr(x).ptr(dataPtr(w)).ptr(y).i32(n).i32(k)
	early := ""
	if qmvEarly && !written(w) {
		early = "e"
	}
	name := fmt.Sprintf("gmvi_%s_r%d%s_%s", t.kernel, sh.rows, early, suffix(xt))
	per := sh.rows * sh.warps
	return d.launch("ggml", xt, name, (n+per-1)/per, sh.warps*32, a)
}
