package main

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/cuda"
	"github.com/lbrx/lbrx/models/llama"
)

// graphStepProfile is one decode step as its recorded CUDA graph replays
// (cuda.GraphProfile): each op's span of the step, event nodes after
// every op, so launch gaps count and programmatic dependent launch
// overlaps what it overlaps between the event nodes. The event nodes
// cut the overlap between ops, so the instrumented step runs slower than
// the plain replay next to it.
type graphStepProfile struct {
	// StepUs is the instrumented step, from the graph's first event node
	// to its last, in its last replay; the ops' spans add up to it.
	StepUs float64 `json:"step_us"`
	// InstrumentedReplayUs is that last launch of the instrumented graph
	// timed on the stream from outside (events around cuGraphLaunch);
	// ReplayUs the same for the plain graph's last launch, in another
	// generation of the same length (so at the same position): their
	// difference is what the instrumentation costs.
	InstrumentedReplayUs float64 `json:"instrumented_replay_us"`
	ReplayUs             float64 `json:"replay_us"`
	// ReplayMedianUs is the median of the plain graph's Replays launches
	// (after the one inside core.Record), over the generation's
	// positions.
	ReplayMedianUs float64 `json:"replay_median_us"`
	Replays        int     `json:"replays"`
	Ops            int     `json:"ops"`
	// NodeUs is what an event node costs the step on average: the
	// instrumented replay's excess over the plain one per op. Each op's
	// span carries one.
	NodeUs float64 `json:"node_us"`
	// ByOp sums the spans per op kind (name and output shape), the
	// largest first (then by name).
	ByOp []graphOpProfile `json:"by_op"`
}

type graphOpProfile struct {
	Op    string  `json:"op"`
	Count int     `json:"count"`
	Us    float64 `json:"us"`
	Share float64 `json:"share"` // of StepUs
	// PlainUs estimates the kind's time in the plain replay: Us less
	// NodeUs per op (at least 0).
	PlainUs float64 `json:"plain_us"`
}

// graphProfiler is what a device offers for the step profile
// (cuda.Device).
type graphProfiler interface {
	StartGraphProfile(instrument bool) error
	StopGraphProfile() ([]cuda.GraphProfile, error)
}

// profileGraphStep generates tokens (at least 4: the first decode step
// runs op by op, the second records the graph) after ids twice, the
// decode step recorded as a graph each time: plain, with its launches
// timed, then instrumented; it returns the instrumented step's profile
// and both replay times.
func profileGraphStep(m *llama.Model, ids []int, tokens int) (*graphStepProfile, error) {
	return profileGraphRuns(m.Device(), "decode step", func() error {
		_, err := m.Generate(ids, llama.GenerateOptions{MaxTokens: max(tokens, 4), IgnoreEOS: true}, func(int) bool { return true })
		return err
	})
}

// profileGraphRuns runs run twice with dev's graph profile on, plain and
// instrumented (run must record its graph anew each time), and
// summarizes the graph replayed most: what names it in the error when
// none was.
func profileGraphRuns(dev core.Device, what string, run func() error) (*graphStepProfile, error) {
	p, ok := dev.(graphProfiler)
	if !ok {
		return nil, usagef("--profile needs a CUDA device, not %s", dev.Name())
	}
	one := func(instrument bool) (cuda.GraphProfile, error) {
		if err := p.StartGraphProfile(instrument); err != nil {
			return cuda.GraphProfile{}, err
		}
		rerr := run()
		gs, serr := p.StopGraphProfile()
		if err := cmp.Or(rerr, serr); err != nil {
			return cuda.GraphProfile{}, err
		}
		var best cuda.GraphProfile
		for _, g := range gs {
			if len(g.Launches) > len(best.Launches) {
				best = g
			}
		}
		if len(best.Launches) == 0 {
			return best, fmt.Errorf("--profile: no %s graph was launched (graphs off?)", what)
		}
		return best, nil
	}
	plain, err := one(false)
	if err != nil {
		return nil, err
	}
	inst, err := one(true)
	if err != nil {
		return nil, err
	}
	return summarizeGraphStep(plain, inst), nil
}

// summarizeGraphStep sums the instrumented step's spans per op kind.
func summarizeGraphStep(plain, inst cuda.GraphProfile) *graphStepProfile {
	sp := &graphStepProfile{
		StepUs: us(inst.Step), InstrumentedReplayUs: us(last(inst.Launches)), ReplayUs: us(last(plain.Launches)),
		ReplayMedianUs: us(medianReplay(plain.Launches)), Replays: max(len(plain.Launches)-1, 0), Ops: len(inst.Ops),
	}
	idx := map[string]int{}
	for _, o := range inst.Ops {
		i, ok := idx[o.Op]
		if !ok {
			i = len(sp.ByOp)
			idx[o.Op] = i
			sp.ByOp = append(sp.ByOp, graphOpProfile{Op: o.Op})
		}
		sp.ByOp[i].Count++
		sp.ByOp[i].Us += us(o.GPU)
	}
	if sp.Ops > 0 {
		sp.NodeUs = max(sp.InstrumentedReplayUs-sp.ReplayUs, 0) / float64(sp.Ops)
	}
	for i := range sp.ByOp {
		o := &sp.ByOp[i]
		if sp.StepUs > 0 {
			o.Share = o.Us / sp.StepUs
		}
		o.PlainUs = max(o.Us-float64(o.Count)*sp.NodeUs, 0)
	}
	slices.SortFunc(sp.ByOp, func(a, b graphOpProfile) int { return cmp.Or(cmp.Compare(b.Us, a.Us), cmp.Compare(a.Op, b.Op)) })
	return sp
}

// printGraphStep prints p as a table, the largest op kind first.
func printGraphStep(w io.Writer, p *graphStepProfile) {
	fmt.Fprintf(w, "replayed decode step: %.1f us instrumented (%d ops; launch %.1f us), plain replay %.1f us (median %.1f of %d), %.2f us an event node\n",
		p.StepUs, p.Ops, p.InstrumentedReplayUs, p.ReplayUs, p.ReplayMedianUs, p.Replays, p.NodeUs)
	fmt.Fprintf(w, "%-40s %6s %10s %7s %10s\n", "op [output shape]", "count", "us", "share", "plain us")
	for _, o := range p.ByOp {
		fmt.Fprintf(w, "%-40s %6d %10.1f %6.1f%% %10.1f\n", o.Op, o.Count, o.Us, 100*o.Share, o.PlainUs)
	}
}

// last is the last launch's time (0 for none).
func last(l []time.Duration) time.Duration {
	if len(l) == 0 {
		return 0
	}
	return l[len(l)-1]
}

// medianReplay is the median of the launches after the first (the launch
// inside core.Record, right after the capture), or of the one there is.
func medianReplay(l []time.Duration) time.Duration {
	if len(l) > 1 {
		l = l[1:]
	}
	if len(l) == 0 {
		return 0
	}
	s := slices.Clone(l)
	slices.Sort(s)
	return s[len(s)/2]
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
