package gemm

import "github.com/lbrx/lbrx/core/internal/vec"

// Half selects the 16-bit float format of SgemmHalf's inputs.
type Half uint8

// The 16-bit formats SgemmHalf reads.
const (
	F16  Half = iota + 1 // IEEE 754 binary16
	BF16                 // bfloat16, the upper half of a binary32
)

// operand is one input matrix as stored: float32 (half == 0), or float16
// / bfloat16 bit patterns widened block by block while packing, so the
// whole matrix is never converted.
type operand struct {
	f     []float32
	h     []uint16
	half  Half
	ld    int
	trans bool
}

// fromRow returns the operand whose logical row 0 (of op(X)) is row r.
func (o operand) fromRow(r int) operand {
	if o.trans {
		return o.at(r)
	}
	return o.at(r * o.ld)
}

// fromCol returns the operand whose logical column 0 is column c.
func (o operand) fromCol(c int) operand {
	if o.trans {
		return o.at(c * o.ld)
	}
	return o.at(c)
}

func (o operand) at(off int) operand {
	if o.half == 0 {
		o.f = o.f[off:]
	} else {
		o.h = o.h[off:]
	}
	return o
}

// widen converts stored rows [r0, r0+nrows), columns [c0, c0+ncols) of a
// 16-bit operand to float32 in *tmp, row stride ncols.
func (o operand) widen(r0, nrows, c0, ncols int, tmp *[]float32) []float32 {
	*tmp = grow(*tmp, nrows*ncols)
	t := *tmp
	for r := range nrows {
		src := o.h[(r0+r)*o.ld+c0:][:ncols]
		dst := t[r*ncols : (r+1)*ncols]
		if o.half == F16 {
			vec.F16ToF32(dst, src)
		} else {
			vec.BF16ToF32(dst, src)
		}
	}
	return t
}

// packA packs rows [i0, i0+rows) and k steps [p0, p0+kc) of op(A); see
// the packA function. 16-bit operands widen just that block first.
func (o operand) packA(kern *kernel, i0, rows, p0, kc int, dst []float32, tmp *[]float32) {
	switch {
	case o.half == 0:
		packA(kern, o.trans, o.f, o.ld, i0, rows, p0, kc, dst)
	case !o.trans:
		packA(kern, false, o.widen(i0, rows, p0, kc, tmp), kc, 0, rows, 0, kc, dst)
	default:
		packA(kern, true, o.widen(p0, kc, i0, rows, tmp), rows, 0, rows, 0, kc, dst)
	}
}

// packB packs k steps [p0, p0+kc) and columns [j0, j0+cols) of op(B).
func (o operand) packB(kern *kernel, p0, kc, j0, cols int, dst []float32, tmp *[]float32) {
	switch {
	case o.half == 0:
		packB(kern, o.trans, o.f, o.ld, p0, kc, j0, cols, dst)
	case !o.trans:
		packB(kern, false, o.widen(p0, kc, j0, cols, tmp), cols, 0, kc, 0, cols, dst)
	default:
		packB(kern, true, o.widen(j0, cols, p0, kc, tmp), kc, 0, kc, 0, cols, dst)
	}
}
