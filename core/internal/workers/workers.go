package workers

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Chunks are handed out guided: each takes 1/(guide*threads) of what
// is left (a multiple of align, at least align), so the first chunks are
// long streams and the last ones short. A participant that finishes
// while another still runs waits for one short chunk at most (with the
// eight equal chunks of before, the caller of a two-thread decode step
// waited 0.9 ms per token for the helper's last one; now about 0.25 ms,
// though the step measured no faster: the products are bound by memory
// bandwidth, which the lone thread then has to itself), and a core
// slowed by another process takes fewer chunks. The first chunks are
// predictable (HelperChunk).
const guide = 2

// spin is how long a helper keeps polling for the next job before it
// parks: longer than the serial ops between two products of a decode
// step (norms, rotary, attention over a short context: tens of µs), far
// shorter than a scheduler tick.
const spin = 100 * time.Microsecond

// job is one For call. next and done sit on their own cache lines: every
// participant writes them, and the read-only fields beside them would
// otherwise be invalidated on every chunk.
type job struct {
	fn                  func(lo, hi int)
	total, align, parts int
	_                   [64]byte
	next                atomic.Int64 // first index not yet handed out
	_                   [56]byte
	done                atomic.Int64 // indices finished
	_                   [56]byte
}

// run takes chunks until none are left.
func (j *job) run() {
	total := int64(j.total)
	for {
		lo := j.next.Load()
		if lo >= total {
			return
		}
		hi := lo + int64(chunkSize(j.total-int(lo), j.parts, j.align))
		if !j.next.CompareAndSwap(lo, hi) {
			continue
		}
		j.fn(int(lo), int(hi))
		j.done.Add(hi - lo)
	}
}

// chunkSize is the length of the next chunk when rest indices are left:
// rest/parts rounded up to a multiple of align, at least align, at most
// rest.
func chunkSize(rest, parts, align int) int {
	return min(max(roundUp(rest/parts, align), align), rest)
}

// HelperChunk returns the chunk of For(threads, total, align, ...) that
// the first helper starts on in the usual order of events (the caller,
// who starts the job, takes the first chunk): hi == lo when For would
// run inline. A helper streaming memory into the caches while it waits
// (WhenIdle) reads this chunk's first, the one it will then run.
func HelperChunk(threads, total, align int) (lo, hi int) {
	align = max(align, 1)
	if threads <= 1 || align >= total {
		return 0, 0
	}
	lo = chunkSize(total, guide*threads, align)
	return lo, lo + chunkSize(total-lo, guide*threads, align)
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
	started atomic.Int32 // len(helpers), for WhenIdle
	idle    atomic.Pointer[func(busy func() bool)]
)

// WhenIdle hands fn to a helper that is spinning for the next job, for
// work that may be cut short (streaming memory the next job will read
// into the caches while the caller runs serial code): fn should return
// soon after busy reports true, which it does once the next job has
// started. A later WhenIdle replaces a fn that no helper has taken yet;
// with no helper started, or all parked, fn never runs.
func WhenIdle(fn func(busy func() bool)) {
	if started.Load() > 0 {
		idle.Store(&fn)
	}
}

// For calls fn over [0, total) in contiguous chunks whose sizes are
// multiples of align (but the last), on up to threads goroutines: the
// caller and threads-1 persistent helpers. It returns when every chunk
// has run. fn must be safe to call concurrently on disjoint ranges.
// With threads <= 1, a total no larger than align, or another For
// in progress (a nested call, or one from another goroutine), fn runs
// once over the whole range on the caller's goroutine.
func For(threads, total, align int, fn func(lo, hi int)) {
	if total <= 0 {
		return
	}
	align = max(align, 1)
	if threads <= 1 || align >= total || !mu.TryLock() {
		fn(0, total)
		return
	}
	defer mu.Unlock()
	j := &job{fn: fn, total: total, align: align, parts: guide * threads}
	for len(helpers) < threads-1 {
		h := &helper{wake: make(chan struct{}, 1)}
		helpers = append(helpers, h)
		started.Store(int32(len(helpers)))
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
	for i := 0; j.done.Load() < int64(total); i++ {
		if i&4095 == 4095 {
			runtime.Gosched()
		}
	}
	current.Store(nil)
}

// loop is a helper's life: wait for a new generation (spinning, then
// parked), run the current job's chunks, repeat.
func (h *helper) loop(seen uint64) {
	// busy, for idle work: a new generation arrived. One closure for the
	// helper's life (it reads seen as it is now), not one per idle task.
	busy := func() bool { return gen.Load() != seen }
	for {
		g := gen.Load()
		if g == seen {
			deadline := time.Now().Add(spin)
			for i := 0; g == seen; i++ {
				if t := idle.Load(); t != nil && idle.CompareAndSwap(t, nil) {
					(*t)(busy)
					deadline = time.Now().Add(spin)
				}
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
