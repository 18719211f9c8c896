package core_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
)

// onRanks runs f on every rank of a group of n CPU ranks concurrently and
// returns each rank's result and error.
func onRanks(t *testing.T, n int, f func(c core.Communicator) (*core.Array, error)) ([]*core.Array, []error) {
	t.Helper()
	devs := make([]core.Device, n)
	for i := range devs {
		devs[i] = core.CPU()
	}
	g, err := core.NewLocalGroup(devs...)
	require.NoError(t, err)
	out, errs := make([]*core.Array, n), make([]error, n)
	var wg sync.WaitGroup
	for r := range n {
		c, err := g.Rank(r)
		require.NoError(t, err)
		wg.Go(func() { out[r], errs[r] = f(c) })
	}
	wg.Wait()
	return out, errs
}

func values(t *testing.T, a *core.Array) []float32 {
	t.Helper()
	tt, err := core.As[float32](a)
	require.NoError(t, err)
	v, err := tt.Values()
	require.NoError(t, err)
	return v
}

func TestLocalGroupCollectives(t *testing.T) {
	ctx := context.Background()
	rankArray := func(c core.Communicator) *core.Array {
		r := float32(c.Rank())
		x, err := core.FromSlice([]float32{r, 10 * r, 100 * r, 1}, 2, 2)
		require.NoError(t, err)
		return x.Array()
	}
	out, errs := onRanks(t, 3, func(c core.Communicator) (*core.Array, error) {
		return c.AllReduceSum(ctx, rankArray(c))
	})
	for r := range 3 {
		require.NoError(t, errs[r])
		require.Equal(t, []float32{3, 30, 300, 3}, values(t, out[r]), "rank %d", r)
	}
	out, errs = onRanks(t, 3, func(c core.Communicator) (*core.Array, error) {
		return c.AllGather(ctx, rankArray(c), 1)
	})
	for r := range 3 {
		require.NoError(t, errs[r])
		require.Equal(t, core.Shape{2, 6}, out[r].Shape())
		require.Equal(t, []float32{0, 0, 1, 10, 2, 20, 0, 1, 100, 1, 200, 1}, values(t, out[r]), "rank %d", r)
	}
	out, errs = onRanks(t, 3, func(c core.Communicator) (*core.Array, error) {
		return c.Broadcast(ctx, rankArray(c), 2)
	})
	for r := range 3 {
		require.NoError(t, errs[r])
		require.Equal(t, []float32{2, 20, 200, 1}, values(t, out[r]), "rank %d", r)
	}
	// Several collectives in a row keep their order.
	out, errs = onRanks(t, 2, func(c core.Communicator) (*core.Array, error) {
		x := rankArray(c)
		for range 5 {
			var err error
			if x, err = c.AllReduceSum(ctx, x); err != nil {
				return nil, err
			}
		}
		return x, nil
	})
	for r := range 2 {
		require.NoError(t, errs[r])
		require.Equal(t, []float32{16, 160, 1600, 32}, values(t, out[r]))
	}
}

func TestLocalGroupErrors(t *testing.T) {
	_, err := core.NewLocalGroup()
	require.Error(t, err)
	g, err := core.NewLocalGroup(core.CPU())
	require.NoError(t, err)
	_, err = g.Rank(1)
	require.ErrorContains(t, err, "rank 1 outside [0, 1)")

	ctx := context.Background()
	// Shapes that disagree.
	_, errs := onRanks(t, 2, func(c core.Communicator) (*core.Array, error) {
		x, err := core.Zeros[float32](1 + c.Rank())
		require.NoError(t, err)
		return c.AllReduceSum(ctx, x.Array())
	})
	for _, err := range errs {
		require.ErrorContains(t, err, "all-reduce: rank")
	}
	// Different collectives at the same step.
	_, errs = onRanks(t, 2, func(c core.Communicator) (*core.Array, error) {
		x, err := core.Zeros[float32](2)
		require.NoError(t, err)
		if c.Rank() == 0 {
			return c.AllReduceSum(ctx, x.Array())
		}
		return c.Broadcast(ctx, x.Array(), 0)
	})
	for _, err := range errs {
		require.ErrorContains(t, err, "another rank")
	}
	// A rank that never comes: the others' contexts end the wait, and the
	// group stays broken.
	_, errs = onRanks(t, 2, func(c core.Communicator) (*core.Array, error) {
		if c.Rank() == 1 {
			return nil, nil
		}
		x, err := core.Zeros[float32](2)
		require.NoError(t, err)
		cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		if _, err := c.AllReduceSum(cctx, x.Array()); err == nil {
			return nil, nil // the missing rank's collective succeeded: fails the check below
		}
		return c.AllReduceSum(ctx, x.Array())
	})
	require.ErrorContains(t, errs[0], "left collective 0")
}
