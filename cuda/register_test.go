package cuda

import (
	"fmt"
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

func TestAllocTooLargeIsAnError(t *testing.T) {
	dev := gpu(t)
	_, err := dev.Alloc(1 << 50) // a petabyte
	require.ErrorContains(t, err, "cuMemAlloc")
	_, err = dev.Alloc(-1)
	require.Error(t, err)
	st, err := dev.Alloc(64) // the device still works
	require.NoError(t, err)
	require.NoError(t, dev.CopyFromHost(st, 0, make([]byte, 64)))
}

func TestCompileErrorCarriesTheLog(t *testing.T) {
	dev := gpu(t)
	if _, err := loadNVRTC(); err != nil {
		t.Skipf("NVRTC unavailable: %v", err)
	}
	_, err := compile("broken.cu", "extern \"C\" __global__ void k() { undeclared_name = 1; }", dev.cc)
	require.ErrorContains(t, err, "NVRTC_ERROR_COMPILATION")
	require.ErrorContains(t, err, "undeclared_name", "the program log names the problem")
}

// Many goroutines queue work on one device at once: the worker thread
// serialises it and every result is right.
func TestConcurrentUse(t *testing.T) {
	dev := gpu(t)
	const workers, n = 8, 4096
	errs := make(chan error, workers)
	for w := range workers {
		go func() {
			errs <- func() error {
				v := make([]float32, n)
				for i := range v {
					v[i] = float32(w*n + i)
				}
				x, err := core.FromSlice(v, n)
				if err != nil {
					return err
				}
				g, err := x.To(dev)
				if err != nil {
					return err
				}
				for range 50 {
					out, err := core.Empty(dev, core.F32, core.Shape{n})
					if err != nil {
						return err
					}
					if err := dev.Execute(&core.Op{Name: "add", Inputs: []*core.Array{g.Array(), g.Array()}, Out: out}); err != nil {
						return err
					}
					got, err := values32(out)
					if err != nil {
						return err
					}
					for i := range got {
						if got[i] != 2*v[i] {
							return fmt.Errorf("worker %d: element %d is %v, want %v", w, i, got[i], 2*v[i])
						}
					}
				}
				return nil
			}()
		}()
	}
	for range workers {
		require.NoError(t, <-errs)
	}
}

func values32(a *core.Array) ([]float32, error) {
	t, err := core.As[float32](a)
	if err != nil {
		return nil, err
	}
	h, err := t.To(core.CPU())
	if err != nil {
		return nil, err
	}
	return h.Values()
}
