package core

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func arange(n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(i)
	}
	return v
}

func TestViewsShareStorageAndGatherValues(t *testing.T) {
	x, err := FromSlice(arange(24), 2, 3, 4)
	require.NoError(t, err)

	tr, err := x.Permute(2, 0, 1)
	require.NoError(t, err)
	assert.Equal(t, Shape{4, 2, 3}, tr.Shape())
	assert.False(t, tr.IsContiguous())
	assert.Same(t, x.Array().Storage(), tr.Array().Storage())
	v, err := tr.Values()
	require.NoError(t, err)
	// tr[k][i][j] = x[i][j][k] = 12i + 4j + k
	assert.Equal(t, float32(12*1+4*2+3), v[3*6+1*3+2])

	s, err := x.Slice(2, 1, 4, 2)
	require.NoError(t, err)
	v, err = s.Values()
	require.NoError(t, err)
	assert.Equal(t, []float32{1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23}, v)

	row, err := x.Index(0, 1)
	require.NoError(t, err)
	e, err := row.At(2, 3)
	require.NoError(t, err)
	assert.Equal(t, float32(23), e)

	b, err := FromSlice([]float32{1, 2, 3}, 3, 1)
	require.NoError(t, err)
	bb, err := b.BroadcastTo(2, 3, 4)
	require.NoError(t, err)
	v, err = bb.Values()
	require.NoError(t, err)
	assert.Equal(t, float32(3), v[23])
	assert.Equal(t, float32(1), v[12])

	_, err = tr.Reshape(24)
	require.ErrorContains(t, err, "not contiguous")
	r, err := x.Reshape(4, -1)
	require.NoError(t, err)
	assert.Equal(t, Shape{4, 6}, r.Shape())

	u, err := x.Unsqueeze(1)
	require.NoError(t, err)
	assert.Equal(t, Shape{2, 1, 3, 4}, u.Shape())
	sq, err := u.Squeeze()
	require.NoError(t, err)
	assert.Equal(t, Shape{2, 3, 4}, sq.Shape())
	_, err = x.Squeeze(0)
	require.ErrorContains(t, err, "size 2")
}

func TestBroadcastShapesNamesBoth(t *testing.T) {
	s, err := BroadcastShapes(Shape{3, 1, 5}, Shape{4, 5})
	require.NoError(t, err)
	assert.Equal(t, Shape{3, 4, 5}, s)
	_, err = BroadcastShapes(Shape{2, 3}, Shape{4, 3})
	require.ErrorContains(t, err, "[2 3] and [4 3]")
}

func TestBFloat16RoundsToNearestEven(t *testing.T) {
	assert.Equal(t, uint16(0x3f80), BFloat16FromFloat32(1).Bits())
	// 1 + 2^-8 is exactly halfway between bf16 1.0 and 1.0078125: ties to even (1.0).
	assert.Equal(t, uint16(0x3f80), BFloat16FromFloat32(1+1.0/256).Bits())
	// 1 + 3*2^-8 is halfway between 1.0078125 (odd) and 1.015625 (even).
	assert.Equal(t, uint16(0x3f82), BFloat16FromFloat32(1+3.0/256).Bits())
}
