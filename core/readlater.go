package core

import "fmt"

// LaterReader is implemented by devices whose work runs behind the host,
// in queue order (a GPU stream): CopyToHostLater queues a copy of
// len(dst) bytes of src from byte offset off that runs once the work
// queued so far is done, and returns at once, so the host can queue more
// work (the next decode step) before it needs the bytes. dst is filled
// when the returned Pending's Wait returns nil; it must not be touched
// before.
type LaterReader interface {
	CopyToHostLater(dst []byte, src Storage, off int) (Pending, error)
}

// Pending is a copy to the host queued behind a device's work.
type Pending interface {
	// Wait blocks until the copy is done. Call it once.
	Wait() error
}

// Read is a small array's bytes, read back when the work queued before
// ReadLater reached it.
type Read struct {
	buf []byte
	p   Pending // nil once the bytes are in buf
}

// ReadsLater reports whether dev reads back behind its queued work
// (LaterReader) rather than at once: on such a device a loop gains by
// queueing its next step before it waits for a Read.
func ReadsLater(dev Device) bool {
	_, ok := dev.(LaterReader)
	return ok
}

// ReadLater captures a's bytes as they will be once the work queued on
// its device so far has run, without waiting for that work where the
// device is a LaterReader; later writes to a (a replay of the graph that
// computes it) do not change what Wait returns. On any other device (the
// CPU, whose ops have run when they return) the bytes are copied now.
func ReadLater(a *Array) (*Read, error) {
	if a == nil {
		return nil, fmt.Errorf("read later: nil array")
	}
	n := a.NumElements() * a.dtype.Size()
	if lr, ok := a.Device().(LaterReader); ok && a.IsContiguous() {
		buf := make([]byte, n)
		p, err := lr.CopyToHostLater(buf, a.storage, a.offset*a.dtype.Size())
		if err != nil {
			return nil, fmt.Errorf("read later %v: %w", a, err)
		}
		return &Read{buf: buf, p: p}, nil
	}
	b, err := a.Bytes()
	if err != nil {
		return nil, fmt.Errorf("read later %v: %w", a, err)
	}
	// Bytes may alias host storage, which the next step overwrites.
	return &Read{buf: append([]byte(nil), b...)}, nil
}

// Wait returns the bytes, waiting for the copy if it is still queued.
func (r *Read) Wait() ([]byte, error) {
	if r.p != nil {
		p := r.p
		r.p = nil
		if err := p.Wait(); err != nil {
			r.buf = nil
			return nil, err
		}
	}
	if r.buf == nil {
		return nil, fmt.Errorf("read later: the copy failed")
	}
	return r.buf, nil
}
