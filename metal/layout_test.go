package metal

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMergeDims(t *testing.T) {
	// Contiguous [2,3,4] merges to one run; size-1 dimensions vanish.
	s, st := mergeDims([]int{2, 1, 3, 4}, []int{12, 12, 4, 1})
	assert.Equal(t, []int{24}, s)
	assert.Equal(t, [][]int{{1}}, st)
	// A broadcast operand keeps the dimensions apart.
	s, st = mergeDims([]int{2, 3, 4}, []int{12, 4, 1}, []int{0, 4, 1})
	assert.Equal(t, []int{2, 12}, s)
	assert.Equal(t, [][]int{{12, 1}, {0, 1}}, st)
	// A transposed view does not merge.
	s, st = mergeDims([]int{3, 2}, []int{1, 3})
	assert.Equal(t, []int{3, 2}, s)
	assert.Equal(t, [][]int{{1, 3}}, st)
	// All ones: rank 0.
	s, _ = mergeDims([]int{1, 1}, []int{1, 1})
	assert.Empty(t, s)
}

func TestRowView(t *testing.T) {
	r, ok := rowView([]int{2, 3, 4}, []int{12, 4, 1}, []int{2})
	require.True(t, ok)
	assert.Equal(t, rows{rows: 6, cols: 4, rowStride: 4}, r)
	r, ok = rowView([]int{2, 3, 4}, []int{12, 4, 1}, []int{1, 2})
	require.True(t, ok)
	assert.Equal(t, rows{rows: 2, cols: 12, rowStride: 12}, r)
	r, ok = rowView([]int{2, 3, 4}, []int{12, 4, 1}, []int{0, 1, 2})
	require.True(t, ok)
	assert.Equal(t, rows{rows: 1, cols: 24, rowStride: 24}, r)
	// Every other row of a [4,5] matrix: rows 10 elements apart.
	r, ok = rowView([]int{2, 5}, []int{10, 1}, []int{1})
	require.True(t, ok)
	assert.Equal(t, rows{rows: 2, cols: 5, rowStride: 10}, r)
	// Broadcast rows (stride 0) read the same row again.
	r, ok = rowView([]int{3, 5}, []int{0, 1}, []int{1})
	require.True(t, ok)
	assert.Equal(t, rows{rows: 3, cols: 5, rowStride: 0}, r)
	// Empty rows.
	r, ok = rowView([]int{3, 0}, []int{0, 1}, []int{1})
	require.True(t, ok)
	assert.Equal(t, 0, r.cols)

	_, ok = rowView([]int{2, 3}, []int{1, 2}, []int{1}) // transposed
	assert.False(t, ok)
	_, ok = rowView([]int{2, 3, 4}, []int{12, 4, 1}, []int{0}) // not trailing
	assert.False(t, ok)
	_, ok = rowView([]int{2, 3, 4}, []int{24, 4, 1}, []int{2}) // leading dims don't collapse
	assert.False(t, ok)
}

func TestMatrixLayout(t *testing.T) {
	m, ok := matrixLayout(3, 4, 4, 1)
	require.True(t, ok)
	assert.Equal(t, matrix{ld: 4}, m)
	m, ok = matrixLayout(3, 4, 1, 3) // transposed view of a [4,3] matrix
	require.True(t, ok)
	assert.Equal(t, matrix{ld: 3, trans: true}, m)
	m, ok = matrixLayout(1, 4, 0, 1) // one row, broadcast
	require.True(t, ok)
	assert.Equal(t, matrix{ld: 4}, m)
	m, ok = matrixLayout(5, 1, 7, 99) // one column
	require.True(t, ok)
	assert.Equal(t, matrix{ld: 7}, m)
	_, ok = matrixLayout(3, 4, 8, 2) // strided both ways
	assert.False(t, ok)
	_, ok = matrixLayout(3, 4, -4, 1)
	assert.False(t, ok)
}

func TestBatchStride(t *testing.T) {
	s, ok := batchStride([]int{2, 3}, []int{2, 3}, []int{60, 20})
	require.True(t, ok)
	assert.Equal(t, 20, s)
	s, ok = batchStride([]int{2, 3}, nil, nil) // 2-D operand, broadcast
	require.True(t, ok)
	assert.Equal(t, 0, s)
	_, ok = batchStride([]int{2, 3}, []int{1, 3}, []int{0, 20}) // broadcast outer
	assert.False(t, ok, "stride 20 within rows, 0 across: not one stride")
	s, ok = batchStride([]int{4}, []int{4}, []int{12})
	require.True(t, ok)
	assert.Equal(t, 12, s)
	_, ok = batchStride([]int{2}, []int{3}, []int{5}) // mismatched batch
	assert.False(t, ok)
}

func TestFits(t *testing.T) {
	assert.True(t, fitsU32(0, 1<<32-1))
	assert.False(t, fitsU32(-1))
	assert.False(t, fitsU32(1<<32))
	assert.True(t, fitsI32(-1<<31, 1<<31-1))
	assert.False(t, fitsI32(1<<31))
}
