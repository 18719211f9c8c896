package metal

import "math"

// Geometry checks shared by the op planner: what a kernel can address
// directly, and how a strided view maps onto a kernel's arguments.

// fitsU32 reports whether every value is a valid 32-bit unsigned index.
func fitsU32(vs ...int) bool {
	for _, v := range vs {
		if v < 0 || v > math.MaxUint32 {
			return false
		}
	}
	return true
}

// fitsI32 reports whether every value fits a 32-bit signed stride.
func fitsI32(vs ...int) bool {
	for _, v := range vs {
		if v < math.MinInt32 || v > math.MaxInt32 {
			return false
		}
	}
	return true
}

// mergeDims drops size-1 dimensions and merges neighbours that are
// contiguous for every operand, so a view of rank above the kernels'
// limit of 8 often still fits, and contiguous data walks in one run.
// strides holds one stride slice per operand, all of len(shape).
func mergeDims(shape []int, strides ...[]int) ([]int, [][]int) {
	outShape := []int{}
	outStr := make([][]int, len(strides))
	for d, n := range shape {
		if n == 1 {
			continue
		}
		last := len(outShape) - 1
		merge := last >= 0
		for i := range strides {
			if merge && outStr[i][last] != strides[i][d]*n {
				merge = false
			}
		}
		if merge {
			outShape[last] *= n
			for i := range strides {
				outStr[i][last] = strides[i][d]
			}
			continue
		}
		outShape = append(outShape, n)
		for i := range strides {
			outStr[i] = append(outStr[i], strides[i][d])
		}
	}
	return outShape, outStr
}

// rows describes a reduction input seen as [rows, cols] with rows
// rowStride elements apart and each row's elements contiguous.
type rows struct {
	rows, cols, rowStride int
}

// rowView maps a reduction over axes (sorted, normalised) of a view onto
// the kernels' [rows, cols] form. It works when the axes are the trailing
// dimensions, contiguous in memory, and the leading dimensions step by
// one common stride. ok is false otherwise (the caller falls back).
func rowView(shape, strides []int, axes []int) (r rows, ok bool) {
	rank := len(shape)
	k := rank - len(axes)
	for i, ax := range axes {
		if ax != k+i {
			return rows{}, false // not a suffix
		}
	}
	r.cols = 1
	for d := rank - 1; d >= k; d-- {
		if shape[d] != 1 && strides[d] != r.cols {
			return rows{}, false // reduced block not contiguous
		}
		r.cols *= shape[d]
	}
	r.rows = 1
	r.rowStride = r.cols
	first := true
	acc := 0 // expected stride of the next outer dimension
	for d := k - 1; d >= 0; d-- {
		if shape[d] == 1 {
			continue
		}
		if first {
			r.rowStride = strides[d]
			acc = strides[d] * shape[d]
			first = false
		} else {
			if strides[d] != acc {
				return rows{}, false
			}
			acc *= shape[d]
		}
		r.rows *= shape[d]
	}
	if r.rowStride < 0 {
		return rows{}, false
	}
	return r, true
}

// matrix is one matmul operand: a [rows, cols] matrix per batch entry,
// row-major with leading dimension ld, or transposed (column-major).
type matrix struct {
	ld    int
	trans bool
}

// matrixLayout reads a 2-D operand of shape [r, c] with strides (sr, sc):
// row-major needs unit column stride, transposed unit row stride.
func matrixLayout(r, c, sr, sc int) (matrix, bool) {
	if sr < 0 || sc < 0 {
		return matrix{}, false
	}
	if c <= 1 || sc == 1 {
		ld := sr
		if r <= 1 {
			ld = c // the single row's leading dimension is never used
		}
		return matrix{ld: ld}, true
	}
	if r <= 1 || sr == 1 {
		return matrix{ld: sc, trans: true}, true
	}
	return matrix{}, false
}

// batchStride collapses an operand's batch dimensions (right-aligned
// against the output's batch shape; missing or broadcast dimensions have
// stride 0) into one stride s, so that batch entry z starts at z*s. It
// fails when the dimensions do not step uniformly.
func batchStride(outBatch, shape, strides []int) (int, bool) {
	nb := len(outBatch)
	str := make([]int, nb)
	off := nb - len(shape)
	if off < 0 {
		return 0, false
	}
	for d := range shape {
		if shape[d] != 1 {
			if shape[d] != outBatch[off+d] {
				return 0, false
			}
			str[off+d] = strides[d]
		}
	}
	s, seen := 0, false
	inner := 1 // batch entries per step of dimension d
	for d := nb - 1; d >= 0; d-- {
		if outBatch[d] == 1 {
			continue
		}
		if !seen {
			s, seen = str[d], true
		} else if str[d] != s*inner {
			return 0, false
		}
		inner *= outBatch[d]
	}
	if s < 0 {
		return 0, false
	}
	return s, true
}
