package cuda

import (
	"fmt"

	"github.com/lbrx/lbrx/core"
)

// maxRank is the number of dimensions a strided kernel handles after
// collapsing; MAXRANK in kernels/common.cuh.
const maxRank = 8

// layout mirrors struct Layout in kernels/common.cuh byte for byte: up to
// three strided operands over one shape, strides and offsets in elements.
type layout struct {
	rank  int32
	_     int32
	n     int64
	shape [maxRank]int64
	st    [3][maxRank]int64
	off   [3]int64
}

// makeLayout describes operands (all of the same shape, broadcast already)
// for a strided kernel. Dimensions of size 1 are dropped and neighbours
// merged wherever every operand is contiguous across them, so that the
// common cases (all contiguous, a broadcast row) reach the kernels' fast
// paths with rank 1 or 2.
func makeLayout(ops ...*core.Array) (layout, error) {
	var l layout
	if len(ops) == 0 || len(ops) > 3 {
		return l, fmt.Errorf("cuda: layout of %d operands", len(ops))
	}
	shape := ops[0].Shape()
	strides := make([][]int, len(ops))
	for i, a := range ops {
		strides[i] = a.Strides()
		l.off[i] = int64(a.Offset())
	}
	l.n = int64(shape.NumElements())
	// Collapse from the innermost dimension outwards.
	var dims []int
	st := make([][]int, len(ops))
	for d := len(shape) - 1; d >= 0; d-- {
		if shape[d] == 1 {
			continue
		}
		if k := len(dims) - 1; k >= 0 {
			merge := true
			for i := range ops {
				if strides[i][d] != st[i][k]*dims[k] {
					merge = false
					break
				}
			}
			if merge {
				dims[k] *= shape[d]
				continue
			}
		}
		dims = append(dims, shape[d])
		for i := range ops {
			st[i] = append(st[i], strides[i][d])
		}
	}
	if len(dims) == 0 { // a scalar or all-ones shape: one element
		dims = []int{1}
		for i := range ops {
			st[i] = []int{1}
		}
	}
	if len(dims) > maxRank {
		return l, fmt.Errorf("%w: cuda: %d strided dimensions after collapsing (at most %d)", core.ErrUnsupported, len(dims), maxRank)
	}
	l.rank = int32(len(dims))
	for k := range dims { // dims is innermost first; the kernel wants outermost first
		j := len(dims) - 1 - k
		l.shape[j] = int64(dims[k])
		for i := range ops {
			l.st[i][j] = int64(st[i][k])
		}
	}
	return l, nil
}
