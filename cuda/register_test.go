package cuda

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
)

// Without a driver or GPU the package still registers "cuda" and says why;
// with one, every GPU is registered as cuda:N and works.
func TestRegistration(t *testing.T) {
	d, err := core.Lookup("cuda")
	require.NoError(t, err)
	require.Equal(t, "cuda", d.Kind())
	st := d.Status()
	if !st.Available {
		require.NotEmpty(t, st.Reason)
		_, err := d.Alloc(16)
		require.ErrorContains(t, err, st.Reason)
		t.Skipf("CUDA unavailable: %s", st.Reason)
	}
	cd, ok := d.(*Device)
	require.True(t, ok)
	require.Equal(t, "cuda:0", cd.Name())
	require.Positive(t, cd.ComputeCapability())
	t.Logf("%v", cd)
}

func TestCopiesRoundTrip(t *testing.T) {
	dev := gpu(t)
	// Sizes around the staging slot (4 MiB) and past the ring (8 slots).
	for _, n := range []int{0, 1, 4095, stageSlotSize - 1, stageSlotSize + 3, 9*stageSlotSize + 17} {
		src := make([]byte, n)
		for i := range src {
			src[i] = byte(i*7 + i>>9)
		}
		st, err := dev.Alloc(n + 8)
		require.NoError(t, err)
		require.NoError(t, dev.CopyFromHost(st, 8, src))
		got := make([]byte, n)
		require.NoError(t, dev.CopyToHost(got, st, 8))
		require.Equal(t, src, got, "%d bytes", n)
		head := make([]byte, 8)
		require.NoError(t, dev.CopyToHost(head, st, 0))
		require.Equal(t, make([]byte, 8), head, "fresh storage is zeroed")
		require.ErrorContains(t, dev.CopyFromHost(st, n+1, make([]byte, 8)), "overruns")
	}
	require.NoError(t, dev.Sync())
	st := dev.PoolStats()
	require.Positive(t, st.Misses)
	t.Logf("pool: %+v", st)
}

func TestOpFallsBackWhenUnsupported(t *testing.T) {
	dev := gpu(t)
	a, err := core.Empty(dev, core.I32, core.Shape{3})
	require.NoError(t, err)
	out, err := core.Empty(dev, core.I32, core.Shape{3})
	require.NoError(t, err)
	err = dev.Execute(&core.Op{Name: "no_such_op", Inputs: []*core.Array{a}, Out: out})
	require.ErrorIs(t, err, core.ErrUnsupported)
	err = dev.Execute(&core.Op{Name: "exp", Inputs: []*core.Array{a}, Out: out})
	require.ErrorIs(t, err, core.ErrUnsupported, "no integer exp kernel")
}
