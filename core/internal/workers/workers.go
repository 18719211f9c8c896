package workers

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// chunksPerThread is how many chunks each participant's share is cut
// into: enough that a core slowed by another process hands its last
// chunks to the other one, few enough that each chunk is a long stream.
const chunksPerThread = 4

// spin is how long a helper keeps polling for the next job before it
// parks: longer than the serial ops between two products of a decode
// step (norms, rotary, attention over a short context: tens of µs), far
// shorter than a scheduler tick.
const spin = 100 * time.Microsecond

// job is one For call. next and done sit on their own cache lines: every
// participant writes them, and the read-only fields beside them would
// otherwise be invalidated on every chunk.
type job struct {
	fn           func(lo, hi int)
	total, chunk int
	chunks       int64
	_            [64]byte
	next         atomic.Int64 // next chunk index to hand out
	_            [56]byte
	done         atomic.Int64 // chunks finished
	_            [56]byte
}

// run takes chunks until none are left.
func (j *job) run() {
	for {
		c := j.next.Add(1) - 1
		if c >= j.chunks {
			return
		}
		lo := int(c) * j.chunk
		j.fn(lo, min(lo+j.chunk, j.total))
		j.done.Add(1)
	}
}

// helper is one persistent goroutine's parking state, padded so that
// two helpers never share a cache line.
type helper struct {
	sleeping atomic.Bool
	wake     chan struct{}
	_        [48]byte
}

var (
	mu      sync.Mutex // one job at a time; a nested or concurrent For runs inline
	gen     atomic.Uint64
	current atomic.Pointer[job]
	helpers []*helper
)

// For calls fn over [0, total) in contiguous chunks whose sizes are
// multiples of align (but the last), on up to threads goroutines: the
// caller and threads-1 persistent helpers. It returns when every chunk
// has run. fn must be safe to call concurrently on disjoint ranges.
// With threads <= 1, a total no larger than one chunk, or another For
// in progress (a nested call, or one from another goroutine), fn runs
// once over the whole range on the caller's goroutine.
func For(threads, total, align int, fn func(lo, hi int)) {
	if total <= 0 {
		return
	}
	align = max(align, 1)
	chunk := roundUp((total+threads*chunksPerThread-1)/max(threads*chunksPerThread, 1), align)
	if threads <= 1 || chunk >= total || !mu.TryLock() {
		fn(0, total)
		return
	}
	defer mu.Unlock()
	j := &job{fn: fn, total: total, chunk: chunk, chunks: int64((total + chunk - 1) / chunk)}
	for len(helpers) < threads-1 {
		h := &helper{wake: make(chan struct{}, 1)}
		helpers = append(helpers, h)
		go h.loop(gen.Load())
	}
	current.Store(j)
	gen.Add(1)
	for _, h := range helpers[:threads-1] {
		if h.sleeping.CompareAndSwap(true, false) {
			h.wake <- struct{}{}
		}
	}
	j.run()
	// The helpers hold chunks that are running: wait for them without
	// going through the scheduler (runtime.Gosched takes its lock, which
	// the profile showed contended at a hundred products per token);
	// yield only now and then, in case a helper lost its thread.
	for i := 0; j.done.Load() < j.chunks; i++ {
		if i&4095 == 4095 {
			runtime.Gosched()
		}
	}
	current.Store(nil)
}

// loop is a helper's life: wait for a new generation (spinning, then
// parked), run the current job's chunks, repeat.
func (h *helper) loop(seen uint64) {
	for {
		g := gen.Load()
		if g == seen {
			deadline := time.Now().Add(spin)
			for i := 0; g == seen; i++ {
				if i&1023 == 1023 && time.Now().After(deadline) {
					break
				}
				g = gen.Load()
			}
		}
		if g == seen {
			h.sleeping.Store(true)
			if g = gen.Load(); g == seen {
				<-h.wake // For cleared sleeping before sending
			} else if !h.sleeping.CompareAndSwap(true, false) {
				<-h.wake // For saw sleeping and sent: take the token
			}
			g = gen.Load()
		}
		seen = g
		if j := current.Load(); j != nil {
			j.run()
		}
	}
}

func roundUp(x, m int) int { return (x + m - 1) / m * m }
