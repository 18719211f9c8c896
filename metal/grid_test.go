package metal

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestElementThreads(t *testing.T) {
	assert.Equal(t, DefaultThreads, elementThreads(0))
	assert.Equal(t, DefaultThreads, elementThreads(1024))
	assert.Equal(t, 128, elementThreads(128))
}

func TestRowThreads(t *testing.T) {
	for _, tc := range []struct{ cols, simd, max, want int }{
		{1000, 32, 1024, 256},
		{5, 32, 1024, 32},    // short rows: one simdgroup
		{0, 32, 1024, 32},    // empty rows still get a group
		{1000, 32, 200, 192}, // pipeline cap rounded down to whole simdgroups
		{40, 32, 0, 64},
	} {
		got, err := rowThreads(tc.cols, tc.simd, tc.max)
		require.NoError(t, err)
		assert.Equal(t, tc.want, got, "%+v", tc)
	}
	_, err := rowThreads(100, 32, 16)
	require.ErrorContains(t, err, "less than one 32-wide simdgroup")
	_, err = rowThreads(-1, 32, 0)
	require.Error(t, err)
	_, err = rowThreads(1, 0, 0)
	require.Error(t, err)
}

func TestCheckLaunch(t *testing.T) {
	require.NoError(t, checkLaunch(ElementwiseLaunch(1000, 256), 1024))
	l := ElementwiseLaunch(1<<40, 256)
	require.ErrorContains(t, checkLaunch(l, 0), "32-bit")
	require.ErrorContains(t, checkLaunch(ElementwiseLaunch(10, 512), 256), "pipeline allows 256")
	require.ErrorContains(t, checkLaunch(Launch{Groups: Size{1, 1, 1}, Threads: Size{32, 1, 1}, ThreadgroupMem: 20}, 0), "multiple of 16")
	require.Error(t, checkLaunch(Launch{Groups: Size{1, 1, 1}}, 0))
}

func TestLaunchCoversEveryElement(t *testing.T) {
	for _, n := range []int{0, 1, 255, 256, 257, 1 << 20} {
		l := ElementwiseLaunch(n, elementThreads(1024))
		assert.GreaterOrEqual(t, l.Groups.X*l.Threads.X, n)
		assert.Less(t, l.Groups.X*l.Threads.X-n, l.Threads.X, "at most one partial group")
		assert.Equal(t, n == 0, l.Empty())
	}
}

func TestBatchPolicy(t *testing.T) {
	assert.False(t, defaultBatch.full(31))
	assert.True(t, defaultBatch.full(32))
}
