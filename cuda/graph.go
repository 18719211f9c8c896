package cuda

import (
	"errors"
	"fmt"
	"os"

	"github.com/lbrx/lbrx/core"
)

// CUDA graphs for core.Record: the ops of a recording are captured from
// the device's stream (cuStreamBeginCapture in relaxed mode, so a pool
// miss may still call cuMemAlloc), instantiated once and launched as one
// unit (cuGraphLaunch): a replay costs one driver call instead of a
// hand-off and a launch per op.
//
// Memory: every buffer a captured op uses must keep its address while
// the graph lives. core.Graph keeps the ops' arrays alive; buffers freed
// during the capture (temporaries the backend releases itself) are held
// by the graph instead of going back to the pool, and return to it when
// the graph is closed.

var _ core.GraphDevice = (*Device)(nil)

// errCapturing is returned for host transfers while a graph is captured:
// a replay could not repeat them.
var errCapturing = errors.New("not allowed while a graph is being recorded (replays run without the host)")

// BeginGraph starts capturing the device's stream (core.GraphDevice).
// LBRX_CUDA_GRAPHS=off makes it unsupported, so graphs replay op by op.
func (d *Device) BeginGraph() error {
	if err := d.start(); err != nil {
		return err
	}
	if !graphsBound || os.Getenv("LBRX_CUDA_GRAPHS") == "off" {
		return fmt.Errorf("%w: cuda: CUDA graphs are off or missing from the driver", core.ErrUnsupported)
	}
	return d.w.do(func() error {
		if d.held != nil {
			return errors.New("cuda: a graph is already being captured")
		}
		if err := check("cuStreamBeginCapture", drv.streamBeginCapture(d.stream, captureModeRelaxed)); err != nil {
			return err
		}
		if err := d.beginGraphProf(); err != nil {
			// Not a usable capture: end it and drop what it holds.
			var g cuGraph
			if drv.streamEndCapture(d.stream, &g) == 0 && g != 0 {
				_ = drv.graphDestroy(g)
			}
			d.capProf = nil
			return err
		}
		d.held = []poolBuf{}
		d.capturing.Store(true)
		return nil
	})
}

// EndGraph ends the capture and instantiates it when ok.
func (d *Device) EndGraph(ok bool) (core.GraphExec, error) {
	g := &graphExec{d: d}
	err := d.w.do(func() error {
		d.capturing.Store(false)
		g.held, d.held = d.held, nil
		g.prof, d.capProf = d.capProf, nil
		if err := check("cuStreamEndCapture", drv.streamEndCapture(d.stream, &g.graph)); err != nil {
			return err
		}
		if !ok {
			return nil
		}
		return check("cuGraphInstantiate", drv.graphInstantiate(&g.exec, g.graph, 0))
	})
	if err != nil || !ok {
		_ = g.Close()
		return nil, err
	}
	return g, nil
}

// recycle returns a freed buffer to the pool, or to the graph being
// captured, which may still use it; on the worker thread.
func (d *Device) recycle(ptr devicePtr, class int) {
	if d.held != nil {
		d.held = append(d.held, poolBuf{d, ptr, class})
		return
	}
	_ = d.pool.put(ptr, class)
}

// graphExec is an instantiated CUDA graph and the buffers it holds.
type graphExec struct {
	d     *Device
	graph cuGraph
	exec  cuGraphExe
	held  []poolBuf
	prof  *graphProf // set when captured while a graph profile ran
}

// Launch queues the graph on the device's stream.
func (g *graphExec) Launch() error {
	if g.exec == 0 {
		return errors.New("cuda: graph is closed")
	}
	return g.d.w.do(func() error {
		if g.prof != nil && !g.prof.stopped {
			return g.launchTimed()
		}
		return check("cuGraphLaunch", drv.graphLaunch(g.exec, g.d.stream))
	})
}

// Close destroys the graph after the work queued before it and returns
// its held buffers to the pool.
func (g *graphExec) Close() error {
	return g.d.w.do(func() error {
		var first error
		if g.exec != 0 {
			first = check("cuStreamSynchronize", drv.streamSynchronize(g.d.stream))
			if err := check("cuGraphExecDestroy", drv.graphExecDestroy(g.exec)); err != nil && first == nil {
				first = err
			}
			g.exec = 0
		}
		if g.graph != 0 {
			if err := check("cuGraphDestroy", drv.graphDestroy(g.graph)); err != nil && first == nil {
				first = err
			}
			g.graph = 0
		}
		for _, b := range g.held {
			_ = g.d.pool.put(b.ptr, b.class)
		}
		g.held = nil
		if g.prof != nil {
			g.prof.closed = true
			g.prof.release()
			g.prof = nil
		}
		return first
	})
}
