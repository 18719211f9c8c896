package cuda

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
)

// spans are the differences of consecutive times and add up to the last.
func TestSpans(t *testing.T) {
	ops, step := spans([]string{"a", "b", "c"}, []float64{1, 1.5, 4})
	assert.Equal(t, []OpSpan{{"a", time.Millisecond}, {"b", 500 * time.Microsecond}, {"c", 2500 * time.Microsecond}}, ops)
	assert.Equal(t, 4*time.Millisecond, step)
	ops, step = spans(nil, nil)
	assert.Empty(t, ops)
	assert.Zero(t, step)
}

// TestGraphProfile records a graph of a few large matmuls and small adds
// with an instrumented graph profile: one span per op in order, the spans
// add up to the step, which is within 20% (+50 µs) of the same launch
// timed from outside; the graph computes what it computes unprofiled;
// and a profile without instrumentation times the launches only. A
// graph closed before the profile stops and one replayed after it stops
// both work.
func TestGraphProfile(t *testing.T) {
	dev := gpu(t)
	if !graphsBound || drv.eventRecordWithFlags == nil {
		t.Skip("the driver lacks CUDA graphs or cuEventRecordWithFlags")
	}
	const n = 1024
	r := rand.New(rand.NewPCG(43, 44))
	_, a, _ := prepare(t, dev, core.F32, input{core.Shape{n, n}, ident}, random(r, n*n, -1, 1, false))
	_, b, _ := prepare(t, dev, core.F32, input{core.Shape{n, n}, ident}, random(r, n*n, -1, 1, false))
	step := func() (*core.Array, error) {
		y := a
		for range 3 {
			var err error
			if y, err = core.MatMulOp(y, b); err != nil {
				return nil, err
			}
			if y, err = core.BinaryOp("mul", y, a); err != nil {
				return nil, err
			}
		}
		return y, nil
	}
	want, err := step()
	require.NoError(t, err)
	wantV := values(t, want)
	top := 0.0
	for _, v := range wantV {
		top = max(top, abs(v))
	}
	// Same inputs, same kernels: the replays agree with the eager run up
	// to a different cuBLAS algorithm's order of additions.
	same := func(got []float64, what string) { near(t, core.F32, wantV, got, top, what) }
	mm, mul := fmt.Sprintf("matmul [%d %d]", n, n), fmt.Sprintf("mul [%d %d]", n, n)
	names := []string{mm, mul, mm, mul, mm, mul}
	_, err = dev.StopGraphProfile()
	require.Error(t, err, "no profile running")
	for _, instrument := range []bool{true, false} {
		require.NoError(t, dev.StartGraphProfile(instrument))
		require.Error(t, dev.StartGraphProfile(instrument), "already running")
		var y *core.Array
		g, err := core.Record(dev, func() error {
			var err error
			y, err = step()
			return err
		})
		require.NoError(t, err)
		for range 4 {
			require.NoError(t, g.Replay())
		}
		if !instrument {
			require.NoError(t, g.Close()) // before the profile reads it
		}
		prof, err := dev.StopGraphProfile()
		require.NoError(t, err)
		require.Len(t, prof, 1)
		p := prof[0]
		require.Len(t, p.Launches, 5, "Record's launch and 4 replays")
		for _, l := range p.Launches {
			assert.Positive(t, l)
		}
		same(values(t, y), fmt.Sprintf("replayed, instrument %v", instrument))
		if !instrument {
			assert.Empty(t, p.Ops)
			assert.Zero(t, p.Step)
			continue
		}
		require.Len(t, p.Ops, len(names))
		var sum time.Duration
		for i, o := range p.Ops {
			assert.Equal(t, names[i], o.Op)
			assert.GreaterOrEqual(t, o.GPU, time.Duration(0), o.Op)
			sum += o.GPU
		}
		assert.Equal(t, p.Step, sum)
		last := p.Launches[len(p.Launches)-1]
		assert.LessOrEqual(t, p.Step, last+time.Microsecond, "the step inside its launch")
		assert.GreaterOrEqual(t, p.Step, last*8/10-50*time.Microsecond, "the events cover the launch (%v of %v)", p.Step, last)
		// The matmuls dominate.
		assert.Greater(t, p.Ops[0].GPU, p.Ops[1].GPU)
		// Replays after the profile stopped run unprofiled, then close.
		require.NoError(t, g.Replay())
		require.NoError(t, dev.Sync())
		same(values(t, y), "replayed after the profile")
		require.NoError(t, g.Close())
	}
}
