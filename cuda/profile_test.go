package cuda

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
)

// A profile counts each executed op under its name and output shape,
// with positive GPU and host times, and leaves results unchanged.
func TestProfile(t *testing.T) {
	d := gpu(t)
	x, err := core.FromSlice([]float32{1, -2, 3, -4, 5, -6}, 2, 3)
	require.NoError(t, err)
	g, err := x.To(d)
	require.NoError(t, err)
	_, err = d.StopProfile()
	require.Error(t, err, "no profile running")
	require.NoError(t, d.StartProfile())
	require.Error(t, d.StartProfile(), "already running")
	a, err := core.UnaryOp("abs", g.Array())
	require.NoError(t, err)
	for range 3 {
		if a, err = core.BinaryOp("add", a, a); err != nil {
			t.Fatal(err)
		}
	}
	ops, err := d.StopProfile()
	require.NoError(t, err)
	require.Len(t, ops, 2)
	count := map[string]int{}
	for _, o := range ops {
		count[o.Op] = o.Count
	}
	assert.Equal(t, map[string]int{"add [2 3]": 3, "abs [2 3]": 1}, count)
	for _, o := range ops {
		assert.Positive(t, o.GPU, o.Op)
		assert.Positive(t, o.Host, o.Op)
	}
	back, err := core.As[float32](a)
	require.NoError(t, err)
	v, err := back.Values()
	require.NoError(t, err)
	assert.Equal(t, []float32{8, 16, 24, 32, 40, 48}, v)
}
