package cuda

import (
	"errors"
	"fmt"
	"time"

	"github.com/lbrx/lbrx/core"
)

// A graph profile times a recorded graph as the GPU runs it. The eager
// profile (profile.go) brackets each op with events as it is executed
// one by one, which is not how a decode step runs: a replayed CUDA graph
// has no host between kernels, and programmatic dependent launch (pdl.go)
// overlaps each kernel's launch with the tail of the one before. Here,
// while a graph is captured, an event record node (cuEventRecordWithFlags
// with CU_EVENT_RECORD_EXTERNAL, CUDA 11.1+) follows each op's kernels;
// after the graph ran, the time between consecutive events is each op's
// span of the step, its launch gap included. The event nodes cut the
// programmatic edges between ops (an op waits for the event before it,
// not for the kernel), so an instrumented replay runs somewhat slower
// than a plain one: every launch of a graph captured while profiling is
// also timed from outside (events on the stream around cuGraphLaunch),
// which a profile without instrumentation gives for the plain graph.

// eventRecordExternal is CU_EVENT_RECORD_EXTERNAL.
const eventRecordExternal = 1

// OpSpan is one op of an instrumented graph: its name and output shape
// (as OpTime's) and its span in the graph's last launch, from the end of
// the op before (the graph's start for the first) to the end of its own
// kernels.
type OpSpan struct {
	Op  string
	GPU time.Duration
}

// GraphProfile is one graph captured while a graph profile ran.
type GraphProfile struct {
	// Ops are the graph's ops in order, for an instrumented profile;
	// their spans add up to Step.
	Ops []OpSpan
	// Step is the instrumented graph's last launch from its first event
	// to its last (0 without instrumentation).
	Step time.Duration
	// Launches is each launch of the graph timed on the stream, from an
	// event before cuGraphLaunch to one after it.
	Launches []time.Duration
}

// graphProfiler collects the graphs captured between StartGraphProfile
// and StopGraphProfile; worker-thread state.
type graphProfiler struct {
	instrument bool
	graphs     []*graphProf
}

// graphProf is the events of one profiled graph. They outlive neither
// the graph (an event node of a later launch would record a destroyed
// event) nor the profile (which reads them): whichever of the two ends
// last destroys them.
type graphProf struct {
	names    []string  // op i's name and output shape
	events   []cuEvent // events[0] at the start, events[i+1] after op i
	launches [][2]cuEvent
	closed   bool // the graph is closed
	stopped  bool // the profile has read the events
}

// StartGraphProfile profiles every graph captured (core.Record) from now
// until StopGraphProfile: each launch is timed from outside and, with
// instrument, an event node follows each op. Graphs captured before keep
// running unprofiled.
func (d *Device) StartGraphProfile(instrument bool) error {
	if !graphsBound || drv.eventRecordWithFlags == nil {
		return fmt.Errorf("%w: cuda: the driver lacks CUDA graphs or cuEventRecordWithFlags", core.ErrUnsupported)
	}
	return d.run(func() error {
		if d.gprof != nil {
			return errors.New("cuda: graph profile already running")
		}
		d.gprof = &graphProfiler{instrument: instrument}
		return nil
	})
}

// StopGraphProfile waits for the queued work and returns the profile of
// each graph captured since StartGraphProfile that was launched, in
// capture order.
func (d *Device) StopGraphProfile() ([]GraphProfile, error) {
	var out []GraphProfile
	err := d.run(func() error {
		p := d.gprof
		if p == nil {
			return errors.New("cuda: no graph profile running")
		}
		d.gprof = nil
		if err := check("cuStreamSynchronize", drv.streamSynchronize(d.stream)); err != nil {
			return err
		}
		var first error
		for _, g := range p.graphs {
			gp, err := g.read()
			if err != nil && first == nil {
				first = err
			}
			if len(gp.Launches) > 0 {
				out = append(out, gp)
			}
			g.stopped = true
			g.release()
		}
		return first
	})
	return out, err
}

// read computes the graph's profile from its recorded events.
func (g *graphProf) read() (GraphProfile, error) {
	var gp GraphProfile
	for _, l := range g.launches {
		ms, err := elapsed(l[0], l[1])
		if err != nil {
			return gp, err
		}
		gp.Launches = append(gp.Launches, msDuration(float64(ms)))
	}
	if len(g.launches) == 0 || len(g.events) == 0 {
		return gp, nil
	}
	cum := make([]float64, len(g.events)-1)
	for i, e := range g.events[1:] {
		ms, err := elapsed(g.events[0], e)
		if err != nil {
			return gp, err
		}
		cum[i] = float64(ms)
	}
	gp.Ops, gp.Step = spans(g.names, cum)
	return gp, nil
}

// spans turns the times from a graph's first event to the event after
// each op (ms) into each op's span and the step: differences of
// consecutive times, so that they add up to the last.
func spans(names []string, cum []float64) ([]OpSpan, time.Duration) {
	out := make([]OpSpan, len(cum))
	prev := 0.0
	var sum time.Duration
	for i, c := range cum {
		out[i] = OpSpan{Op: names[i], GPU: msDuration(c) - msDuration(prev)}
		sum += out[i].GPU
		prev = c
	}
	return out, sum
}

func msDuration(ms float64) time.Duration { return time.Duration(ms * float64(time.Millisecond)) }

func elapsed(a, b cuEvent) (float32, error) {
	var ms float32
	err := check("cuEventElapsedTime", drv.eventElapsedTime(&ms, a, b))
	return ms, err
}

// release destroys the events once both the graph and the profile are
// done with them; on the worker thread.
func (g *graphProf) release() {
	if !g.closed || !g.stopped {
		return
	}
	for _, e := range g.events {
		_ = drv.eventDestroy(e)
	}
	for _, l := range g.launches {
		_ = drv.eventDestroy(l[0])
		_ = drv.eventDestroy(l[1])
	}
	g.events, g.launches = nil, nil
}

// beginGraphProf starts profiling the graph whose capture just began:
// the first event node when instrumenting; on the worker thread.
func (d *Device) beginGraphProf() error {
	if d.gprof == nil {
		return nil
	}
	g := &graphProf{}
	d.gprof.graphs = append(d.gprof.graphs, g)
	d.capProf = g
	if !d.gprof.instrument {
		return nil
	}
	return d.markGraph("")
}

// markGraph adds an event node after the work captured so far, for the op
// named name (none for the first); on the worker thread, while capturing.
func (d *Device) markGraph(name string) error {
	g := d.capProf
	var e cuEvent
	if err := check("cuEventCreate", drv.eventCreate(&e, 0)); err != nil {
		return err
	}
	if err := check("cuEventRecordWithFlags", drv.eventRecordWithFlags(e, d.stream, eventRecordExternal)); err != nil {
		_ = drv.eventDestroy(e)
		return err
	}
	g.events = append(g.events, e)
	if len(g.events) > 1 {
		g.names = append(g.names, name)
	}
	return nil
}

// markOp follows an op executed while an instrumented graph is captured
// with an event node; on the worker thread.
func (d *Device) markOp(op *core.Op) error {
	if d.capProf == nil || len(d.capProf.events) == 0 {
		return nil
	}
	return d.markGraph(fmt.Sprintf("%s %v", op.Name, op.Out.Shape()))
}

// launchTimed launches a profiled graph between two events on the
// stream; on the worker thread.
func (g *graphExec) launchTimed() error {
	d := g.d
	var l [2]cuEvent
	for i := range l {
		if err := check("cuEventCreate", drv.eventCreate(&l[i], 0)); err != nil {
			for _, e := range l[:i] {
				_ = drv.eventDestroy(e)
			}
			return err
		}
	}
	g.prof.launches = append(g.prof.launches, l)
	if err := check("cuEventRecord", drv.eventRecord(l[0], d.stream)); err != nil {
		return err
	}
	if err := check("cuGraphLaunch", drv.graphLaunch(g.exec, d.stream)); err != nil {
		return err
	}
	return check("cuEventRecord", drv.eventRecord(l[1], d.stream))
}
