package metal

import (
	"fmt"
	"slices"
	"strings"
)

// The command-buffer schedule, in plain Go so that it is tested on every
// OS: which command buffer is open, which are in flight, which serial has
// completed, the first GPU error not yet reported, and the frees that
// wait for the GPU. The Metal specifics sit behind cmdBuffer.

// cmdBuffer is one command buffer with its open compute encoder.
type cmdBuffer interface {
	// Commit ends encoding and submits the work.
	Commit()
	// Done reports, without waiting, whether the GPU has finished
	// (successfully or not).
	Done() bool
	// Wait blocks until the GPU has finished and returns its failure, if
	// any; what names the work for the message.
	Wait(what string) error
	// Release gives up the command buffer after completion.
	Release()
}

// batch is one command buffer: encoded, then committed, then retired.
type batch struct {
	serial  uint64
	cmd     cmdBuffer
	kernels []string
	keep    []any // kept reachable until the GPU is done
}

// deferredFree runs free once the batch with serial after has completed.
type deferredFree struct {
	after uint64
	free  func()
}

// schedule tracks command buffers for one queue. It is not safe for
// concurrent use: the Context serialises calls with its mutex.
type schedule struct {
	policy    batchPolicy
	open      func() (cmdBuffer, error)
	cur       *batch
	inflight  []*batch
	serial    uint64 // serial of the newest batch
	completed uint64 // every batch up to this serial has finished
	deferred  []deferredFree
	gpuErr    error
}

// current returns the open batch, starting a command buffer if needed.
func (s *schedule) current() (*batch, error) {
	if s.cur != nil {
		return s.cur, nil
	}
	cmd, err := s.open()
	if err != nil {
		return nil, err
	}
	s.serial++
	s.cur = &batch{serial: s.serial, cmd: cmd}
	return s.cur, nil
}

// dispatched records a dispatch encoded into b (the open batch) and
// commits b when the policy says it is full.
func (s *schedule) dispatched(b *batch, kernel string, keep ...any) {
	b.kernels = append(b.kernels, kernel)
	b.keep = append(b.keep, keep...)
	if s.policy.full(len(b.kernels)) {
		s.commit()
	}
}

// commit submits the open batch, if any.
func (s *schedule) commit() {
	if s.cur == nil {
		return
	}
	s.cur.cmd.Commit()
	s.inflight = append(s.inflight, s.cur)
	s.cur = nil
}

// poll retires batches that have finished, without waiting.
func (s *schedule) poll() {
	for len(s.inflight) > 0 && s.inflight[0].cmd.Done() {
		s.retire()
	}
}

// wait commits and waits for every batch up to serial.
func (s *schedule) wait(serial uint64) {
	if s.cur != nil && s.cur.serial <= serial {
		s.commit()
	}
	for len(s.inflight) > 0 && s.inflight[0].serial <= serial {
		s.retire()
	}
}

// waitAll commits and waits for everything encoded so far.
func (s *schedule) waitAll() { s.wait(s.serial) }

// busy reports whether work up to serial may still be running.
func (s *schedule) busy(serial uint64) bool { return serial > s.completed }

// later runs free once the batch with serial after has completed (at
// once if it has).
func (s *schedule) later(after uint64, free func()) {
	if !s.busy(after) {
		free()
		return
	}
	s.deferred = append(s.deferred, deferredFree{after: after, free: free})
}

// pendingFrees reports whether frees wait for the GPU.
func (s *schedule) pendingFrees() bool { return len(s.deferred) > 0 }

// retire waits for the oldest in-flight batch, records its failure and
// runs the frees that waited for it.
func (s *schedule) retire() {
	b := s.inflight[0]
	s.inflight[0] = nil
	s.inflight = s.inflight[1:]
	if err := b.cmd.Wait("GPU command buffer running kernels " + kernelList(b.kernels)); err != nil && s.gpuErr == nil {
		s.gpuErr = err
	}
	b.cmd.Release()
	s.completed = b.serial
	keep := s.deferred[:0]
	for _, d := range s.deferred {
		if d.after <= s.completed {
			d.free()
		} else {
			keep = append(keep, d)
		}
	}
	clear(s.deferred[len(keep):])
	s.deferred = keep
}

// takeErr returns and clears the first GPU failure since the last call.
func (s *schedule) takeErr() error {
	err := s.gpuErr
	s.gpuErr = nil
	return err
}

// kernelList names the distinct kernels of a batch, in order.
func kernelList(ks []string) string {
	var u []string
	for _, k := range ks {
		if !slices.Contains(u, k) {
			u = append(u, k)
		}
	}
	return strings.Join(u, ", ")
}

// statusError describes a command buffer that ended without completing
// and without an NSError.
func statusError(what, status string) error {
	return fmt.Errorf("metal: %s ended with status %s", what, status)
}
