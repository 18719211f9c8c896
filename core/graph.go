package core

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
)

// Graph is a fixed sequence of ops recorded once and replayed many times,
// such as one decode step of a model. Replay runs the same ops on the
// same arrays again: an op's inputs are read anew, so a caller changes
// what a replay computes by writing new values into the arrays the graph
// reads (a token's embedding, a position held as device data), never by
// swapping arrays. The graph keeps every array it uses alive, so their
// addresses stay fixed while it lives.
//
// A device that implements GraphDevice runs a replay as one unit without
// the host in the loop (CUDA: one CUDA graph launch); on any other device
// Replay runs the recorded ops one after the other, without the checks
// and allocations of the op functions.
type Graph struct {
	dev  Device
	ops  []*Op
	exec GraphExec
	err  error // the first error of a failed replay; replays stop after it
}

// GraphDevice is implemented by devices that capture the ops run between
// BeginGraph and EndGraph into a unit they can launch as a whole.
type GraphDevice interface {
	// BeginGraph starts capturing: ops executed until EndGraph are
	// recorded, not run. An error wrapping ErrUnsupported makes Record
	// run the ops as usual and the graph replay them one by one.
	BeginGraph() error
	// EndGraph stops capturing and returns the captured work, ready to
	// launch. ok false (capture failed) still ends the capture.
	EndGraph(ok bool) (GraphExec, error)
}

// GraphExec is a device's replayable form of a graph.
type GraphExec interface {
	// Launch queues one run of the whole graph.
	Launch() error
	// Close releases the graph and the memory it holds.
	Close() error
}

// recording is a graph being recorded on one device.
type recording struct {
	dev Device
	mu  sync.Mutex
	ops []*Op
}

func (r *recording) add(op *Op) {
	r.mu.Lock()
	r.ops = append(r.ops, op)
	r.mu.Unlock()
}

var recordings struct {
	active atomic.Int32 // fast path: no recording anywhere
	sync.Mutex
	byDev map[Device]*recording
}

// recordingOn returns the recording in progress on dev, if any.
func recordingOn(dev Device) *recording {
	if recordings.active.Load() == 0 {
		return nil
	}
	recordings.Lock()
	defer recordings.Unlock()
	return recordings.byDev[dev]
}

// Record runs f, recording every op it runs on dev into a graph, and
// returns the graph. On return the ops' outputs hold f's results, as if
// f had run alone. f must run only ops on dev between fixed arrays: no
// reads back to the host and no ops the device lacks a kernel for (they
// fail the recording, since a replay could not run them without the
// host). One recording per device at a time.
func Record(dev Device, f func() error) (*Graph, error) {
	if dev == nil {
		return nil, errors.New("record: nil device")
	}
	rec := &recording{dev: dev}
	recordings.Lock()
	if recordings.byDev == nil {
		recordings.byDev = map[Device]*recording{}
	}
	if recordings.byDev[dev] != nil {
		recordings.Unlock()
		return nil, fmt.Errorf("record: %s is already recording a graph", dev.Name())
	}
	recordings.byDev[dev] = rec
	recordings.active.Add(1)
	recordings.Unlock()
	stop := func() {
		recordings.Lock()
		delete(recordings.byDev, dev)
		recordings.active.Add(-1)
		recordings.Unlock()
	}
	gd, capture := dev.(GraphDevice)
	if capture {
		if err := gd.BeginGraph(); errors.Is(err, ErrUnsupported) {
			capture = false // replays run op by op
		} else if err != nil {
			stop()
			return nil, fmt.Errorf("record on %s: %w", dev.Name(), err)
		}
	}
	ferr := f()
	stop()
	g := &Graph{dev: dev, ops: rec.ops}
	if !capture {
		if ferr != nil {
			return nil, ferr
		}
		return g, nil
	}
	exec, err := gd.EndGraph(ferr == nil)
	if ferr != nil {
		if exec != nil {
			_ = exec.Close()
		}
		return nil, ferr
	}
	if err != nil {
		return nil, fmt.Errorf("record on %s: %w", dev.Name(), err)
	}
	g.exec = exec
	// Captured work did not run: one launch gives f's results.
	if err := g.Replay(); err != nil {
		_ = g.Close()
		return nil, err
	}
	return g, nil
}

// Replay runs the recorded ops again, queued on the device like any op.
func (g *Graph) Replay() error {
	if g.err != nil {
		return g.err
	}
	if g.exec != nil {
		if err := g.exec.Launch(); err != nil {
			g.err = fmt.Errorf("graph replay on %s: %w", g.dev.Name(), err)
		}
		return g.err
	}
	for i, op := range g.ops {
		var err error
		if g.dev == CPU() {
			err = runCPU(op)
		} else {
			err = Run(op)
		}
		if err != nil {
			g.err = fmt.Errorf("graph replay, op %d %v: %w", i, op, err)
			return g.err
		}
	}
	return nil
}

// Ops returns the recorded ops in order. They are the graph's own: do not
// change them.
func (g *Graph) Ops() []*Op { return g.ops }

// Device returns the device the graph runs on.
func (g *Graph) Device() Device { return g.dev }

// String lists the graph, one op a line.
func (g *Graph) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "graph on %s, %d ops\n", g.dev.Name(), len(g.ops))
	for i, op := range g.ops {
		fmt.Fprintf(&b, "%4d  %v\n", i, op)
	}
	return b.String()
}

// Close releases the device's form of the graph; the arrays the ops used
// are released by the garbage collector as usual once unreachable.
func (g *Graph) Close() error {
	if g.exec == nil {
		return nil
	}
	err := g.exec.Close()
	g.exec = nil
	g.err = errors.New("graph is closed")
	return err
}
