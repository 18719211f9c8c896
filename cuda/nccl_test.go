package cuda

import (
	"context"
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
)

// The library search runs everywhere: a missing NCCL is an error that
// says what was searched and how to point lbrx at the file.
func TestNCCLSearchErrors(t *testing.T) {
	if runtime.GOOS != "linux" {
		_, err := openNCCL(ncclNames)
		require.ErrorContains(t, err, "only built for Linux")
		return
	}
	t.Setenv("LBRX_NCCL", "")
	_, err := openNCCL([]string{"libnccl-lbrx-absent.so.2"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "NCCL (NVIDIA's collective communications library")
	assert.Contains(t, err.Error(), "libnccl-lbrx-absent.so.2 not found")
	assert.Contains(t, err.Error(), "set LBRX_NCCL to its path")

	t.Setenv("LBRX_NCCL", "/nonexistent/libnccl.so.2")
	_, err = openNCCL(ncclNames)
	require.ErrorContains(t, err, "LBRX_NCCL=/nonexistent/libnccl.so.2")

	// A library that loads but is not NCCL: the first missing symbol.
	t.Setenv("LBRX_NCCL", "libc.so.6")
	_, err = openNCCL(ncclNames)
	require.ErrorContains(t, err, "symbol ncclGetVersion")
}

func TestNCCLErrorNames(t *testing.T) {
	require.NoError(t, ncclCheck("ncclAllReduce", 0))
	err := ncclCheck("ncclAllReduce", 4)
	require.ErrorContains(t, err, "ncclAllReduce")
	require.ErrorContains(t, err, "ncclInvalidArgument")
	require.ErrorContains(t, ncclCheck("ncclAllReduce", 99), "ncclResult 99")
}

// unstack is all-gather's layout step; it runs on any device, so the CPU
// checks it against a concatenation.
func TestNCCLUnstack(t *testing.T) {
	parts := make([]*core.Array, 3)
	var flat []float32
	for r := range parts {
		v := make([]float32, 2*4)
		for i := range v {
			v[i] = float32(100*r + i)
		}
		flat = append(flat, v...)
		p, err := core.FromSlice(v, 2, 4)
		require.NoError(t, err)
		parts[r] = p.Array()
	}
	st, err := core.FromSlice(flat, 3, 2, 4)
	require.NoError(t, err)
	for axis := range 2 {
		want, err := core.ConcatOp(axis, parts...)
		require.NoError(t, err)
		got, err := unstack(st.Array(), axis)
		require.NoError(t, err)
		require.Equal(t, want.Shape(), got.Shape())
		wv, gv := hostValues(t, want), hostValues(t, got)
		require.Equal(t, wv, gv, "axis %d", axis)
	}
}

func hostValues(t *testing.T, a *core.Array) []float32 {
	t.Helper()
	a, err := a.To(core.CPU())
	require.NoError(t, err)
	tt, err := core.As[float32](a)
	require.NoError(t, err)
	v, err := tt.Values()
	require.NoError(t, err)
	return v
}

// ncclDevices returns up to n available GPUs with NCCL loaded, or skips
// saying what is missing.
func ncclDevices(t *testing.T, n int) []*Device {
	t.Helper()
	first := gpu(t)
	if _, err := NCCLVersion(); err != nil {
		t.Skipf("NCCL unavailable: %v", err)
	}
	devs := []*Device{first}
	for _, d := range core.Devices() {
		if cd, ok := d.(*Device); ok && cd != first && len(devs) < n && cd.Status().Available {
			devs = append(devs, cd)
		}
	}
	return devs
}

// On as many GPUs as there are (up to 2; one GPU makes a one-rank group),
// NCCL's collectives give what the host-side LocalGroup gives.
func TestNCCLCollectivesMatchLocalGroup(t *testing.T) {
	devs := ncclDevices(t, 2)
	t.Logf("NCCL %d rank(s) on %v", len(devs), devs)
	comms, err := NewNCCLGroup(devs)
	require.NoError(t, err)
	defer func() {
		for _, c := range comms {
			assert.NoError(t, c.Close())
		}
	}()
	cds := make([]core.Device, len(devs))
	for i, d := range devs {
		cds[i] = d
	}
	local, err := core.NewLocalGroup(cds...)
	require.NoError(t, err)
	ctx := context.Background()
	before := core.Fallbacks()
	run := func(c core.Communicator) ([]float32, error) {
		v := make([]float32, 3*5)
		for i := range v {
			v[i] = float32(c.Rank()*1000 + i)
		}
		h, err := core.FromSlice(v, 3, 5)
		if err != nil {
			return nil, err
		}
		x, err := h.Array().To(c.Device())
		if err != nil {
			return nil, err
		}
		var out []float32
		for _, step := range []func() (*core.Array, error){
			func() (*core.Array, error) { return c.AllReduceSum(ctx, x) },
			func() (*core.Array, error) { return c.AllGather(ctx, x, 0) },
			func() (*core.Array, error) { return c.AllGather(ctx, x, 1) },
			func() (*core.Array, error) { return c.Broadcast(ctx, x, c.Size()-1) },
		} {
			y, err := step()
			if err != nil {
				return nil, err
			}
			out = append(out, hostValues(t, y)...)
		}
		return out, nil
	}
	results := func(comm func(i int) core.Communicator) [][]float32 {
		out := make([][]float32, len(devs))
		var wg sync.WaitGroup
		for i := range devs {
			wg.Go(func() {
				var err error
				out[i], err = run(comm(i))
				assert.NoError(t, err, "rank %d", i)
			})
		}
		wg.Wait()
		return out
	}
	got := results(func(i int) core.Communicator { return comms[i] })
	want := results(func(i int) core.Communicator { c, _ := local.Rank(i); return c })
	require.Equal(t, want, got)
	require.Equal(t, before, core.Fallbacks(), "no op fell back to the CPU")
}
