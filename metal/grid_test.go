package metal

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLinearGrid(t *testing.T) {
	for _, tc := range []struct {
		n, width, max int
		groups, thr   int
	}{
		{0, 256, 1024, 0, 256},
		{1, 256, 1024, 1, 256},
		{256, 256, 1024, 1, 256},
		{257, 256, 1024, 2, 256},
		{1000, 256, 128, 8, 128}, // pipeline caps the width
		{1 << 20, 256, 0, 4096, 256},
	} {
		g, err := linearGrid(tc.n, tc.width, tc.max)
		require.NoError(t, err)
		assert.Equal(t, [3]int{tc.groups, 1, 1}, g.Groups, "n=%d", tc.n)
		assert.Equal(t, [3]int{tc.thr, 1, 1}, g.Threads, "n=%d", tc.n)
		assert.GreaterOrEqual(t, g.Groups[0]*g.Threads[0], tc.n, "grid covers every element")
		assert.Equal(t, tc.n == 0, g.Empty())
	}
	_, err := linearGrid(-1, 256, 0)
	require.Error(t, err)
	_, err = linearGrid(10, 0, 0)
	require.Error(t, err)
	_, err = linearGrid(1<<42, 1, 0)
	require.ErrorContains(t, err, "32-bit grid limit")
}

func TestRowGrid(t *testing.T) {
	g, err := rowGrid(7, 1000, 256, 32, 1024)
	require.NoError(t, err)
	assert.Equal(t, Grid{Groups: [3]int{7, 1, 1}, Threads: [3]int{256, 1, 1}}, g)
	g, err = rowGrid(3, 5, 256, 32, 1024) // short rows: one simdgroup
	require.NoError(t, err)
	assert.Equal(t, [3]int{32, 1, 1}, g.Threads)
	g, err = rowGrid(3, 0, 256, 32, 1024) // empty rows still get a group
	require.NoError(t, err)
	assert.Equal(t, [3]int{3, 1, 1}, g.Groups)
	assert.Equal(t, [3]int{32, 1, 1}, g.Threads)
	g, err = rowGrid(2, 1000, 256, 32, 200) // cap 200 rounds down to 192
	require.NoError(t, err)
	assert.Equal(t, [3]int{192, 1, 1}, g.Threads)
	assert.Equal(t, 192, g.ThreadsPerGroup())
	_, err = rowGrid(2, 100, 256, 32, 16)
	require.ErrorContains(t, err, "less than one 32-wide simdgroup")
	_, err = rowGrid(-1, 1, 256, 32, 0)
	require.Error(t, err)
	_, err = rowGrid(1, 1, 256, 0, 0)
	require.Error(t, err)
}

func TestTileGrid(t *testing.T) {
	g, err := tileGrid(33, 64, 3, 32, [3]int{16, 16, 1})
	require.NoError(t, err)
	assert.Equal(t, [3]int{2, 2, 3}, g.Groups)
	assert.Equal(t, 256, g.ThreadsPerGroup())
	assert.Equal(t, "2x2x3 groups of 16x16x1", g.String())
	g, err = tileGrid(1, 1, 1, 32, [3]int{128, 1, 1})
	require.NoError(t, err)
	assert.Equal(t, [3]int{1, 1, 1}, g.Groups)
	g, err = tileGrid(0, 5, 1, 32, [3]int{16, 16, 1})
	require.NoError(t, err)
	assert.True(t, g.Empty())
	_, err = tileGrid(1, 1, -1, 32, [3]int{16, 16, 1})
	require.Error(t, err)
	_, err = tileGrid(1, 1, 1, 0, [3]int{16, 16, 1})
	require.Error(t, err)
}

func TestBatchPolicy(t *testing.T) {
	assert.False(t, defaultBatch.full(31))
	assert.True(t, defaultBatch.full(32))
}
