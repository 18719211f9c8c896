package cuda

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/lbrx/lbrx/core"
)

// OpTime sums the ops of one kind (name and output shape) that ran while
// a device was profiled.
type OpTime struct {
	// Op is the op name and its output shape, e.g. "rms_norm [1 2048]".
	Op    string
	Count int
	// GPU is the time between CUDA events recorded on the stream before
	// and after the op's kernels: the device's own time.
	GPU time.Duration
	// Host is the time Execute took on the caller's side (argument
	// checks, the hand-off to the worker thread, the launches).
	Host time.Duration
}

// profiler collects one event pair per executed op.
type profiler struct {
	mu   sync.Mutex
	recs []profRec
}

type profRec struct {
	op         string
	start, end cuEvent
	host       time.Duration
}

// StartProfile times every op this device executes from now until
// StopProfile, with a CUDA event pair around each op's kernels. The
// events cost a little per op; use it to see where a step's time goes,
// not to measure throughput.
func (d *Device) StartProfile() error {
	if err := d.start(); err != nil {
		return err
	}
	if !d.prof.CompareAndSwap(nil, &profiler{}) {
		return errors.New("cuda: profile already running")
	}
	return nil
}

// StopProfile waits for the profiled work and returns its times per op
// kind, the largest GPU time first.
func (d *Device) StopProfile() ([]OpTime, error) {
	p := d.prof.Swap(nil)
	if p == nil {
		return nil, errors.New("cuda: no profile running")
	}
	sums := map[string]*OpTime{}
	err := d.run(func() error {
		if err := check("cuStreamSynchronize", drv.streamSynchronize(d.stream)); err != nil {
			return err
		}
		var first error
		for _, r := range p.recs {
			var ms float32
			if err := check("cuEventElapsedTime", drv.eventElapsedTime(&ms, r.start, r.end)); err != nil && first == nil {
				first = err
			}
			_ = drv.eventDestroy(r.start)
			_ = drv.eventDestroy(r.end)
			s := sums[r.op]
			if s == nil {
				s = &OpTime{Op: r.op}
				sums[r.op] = s
			}
			s.Count++
			s.GPU += time.Duration(float64(ms) * float64(time.Millisecond))
			s.Host += r.host
		}
		return first
	})
	out := make([]OpTime, 0, len(sums))
	for _, s := range sums {
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b OpTime) int {
		if c := cmp.Compare(b.GPU, a.GPU); c != 0 {
			return c
		}
		return cmp.Compare(a.Op, b.Op)
	})
	return out, err
}

// executeProfiled is Execute with an event pair around the op's work.
func (d *Device) executeProfiled(p *profiler, op *core.Op) error {
	t0 := time.Now()
	var r profRec
	err := d.w.do(func() error {
		if err := check("cuEventCreate", drv.eventCreate(&r.start, 0)); err != nil {
			return err
		}
		if err := check("cuEventCreate", drv.eventCreate(&r.end, 0)); err != nil {
			_ = drv.eventDestroy(r.start)
			return err
		}
		if err := check("cuEventRecord", drv.eventRecord(r.start, d.stream)); err != nil {
			return err
		}
		xerr := d.execute(op)
		if err := check("cuEventRecord", drv.eventRecord(r.end, d.stream)); err != nil && xerr == nil {
			xerr = err
		}
		return xerr
	})
	r.host = time.Since(t0)
	r.op = fmt.Sprintf("%s %v", op.Name, op.Out.Shape())
	if r.start != 0 && r.end != 0 {
		p.mu.Lock()
		p.recs = append(p.recs, r)
		p.mu.Unlock()
	}
	return err
}
