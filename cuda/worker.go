package cuda

import (
	"fmt"
	"runtime"
)

// worker runs closures on one OS thread that it keeps locked for its whole
// life. CUDA makes a context current per thread; by funnelling every driver
// call for a device through its worker, the context is made current once
// and callers on any goroutine never see CUDA_ERROR_INVALID_CONTEXT.
type worker struct {
	jobs chan func()
}

// startWorker starts the thread and runs setup on it (to make the context
// current); it returns setup's error, in which case the thread exits.
func startWorker(setup func() error) (*worker, error) {
	w := &worker{jobs: make(chan func(), 64)}
	errc := make(chan error, 1)
	go func() {
		// Never unlocked: if setup fails the goroutine exits and takes the
		// thread with it, which is what we want for a thread in an unknown
		// CUDA state.
		runtime.LockOSThread()
		if err := protect(setup); err != nil {
			errc <- err
			return
		}
		errc <- nil
		for {
			w.next()()
		}
	}()
	return w, <-errc
}

// spinPolls bounds how long the worker and a waiting caller poll before
// they park (a few tens of microseconds). Most jobs only queue GPU work and
// take microseconds, while waking a parked goroutine on another thread
// costs more than that; polling keeps back-to-back ops cheap.
const spinPolls = 4096

// next returns the next job, polling briefly before blocking.
func (w *worker) next() func() {
	for range spinPolls {
		select {
		case f := <-w.jobs:
			return f
		default:
		}
	}
	return <-w.jobs
}

// do runs f on the worker's thread and returns its error. A panic in f is
// returned as an error instead of killing the thread.
func (w *worker) do(f func() error) error {
	done := make(chan error, 1)
	w.jobs <- func() { done <- protect(f) }
	for i := range spinPolls {
		select {
		case err := <-done:
			return err
		default:
		}
		if i%64 == 63 {
			runtime.Gosched()
		}
	}
	return <-done
}

// post queues f without waiting for it; for work whose result nobody reads
// (returning a buffer to the pool from a cleanup).
func (w *worker) post(f func()) {
	select {
	case w.jobs <- f:
	default:
		go func() { w.jobs <- f }()
	}
}

func protect(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("cuda: internal error: %v", r)
		}
	}()
	return f()
}
