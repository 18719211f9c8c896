package cuda

import (
	"errors"
	"math/bits"
	"sync"
)

// allocator is what the pool needs from a device: raw allocations. The real
// one calls cuMemAlloc/cuMemFree on the device's worker thread; tests use a
// fake so the pool is tested on machines without a GPU.
type allocator interface {
	alloc(n int) (devicePtr, error)
	free(p devicePtr) error
	// quiesce waits until the device no longer uses freed memory (the
	// stream has drained), before buffers are handed back to the driver.
	quiesce() error
}

// PoolStats describes a device's buffer pool.
type PoolStats struct {
	Hits        int64 // allocations served from the cache
	Misses      int64 // allocations that went to the driver
	Frees       int64 // buffers handed back to the driver (evictions and trims)
	BytesInUse  int64 // bytes of live storage (by size class)
	BytesCached int64 // bytes held in the cache, ready for reuse
	PeakInUse   int64 // the largest BytesInUse seen
	Limit       int64 // the cache's byte limit
}

// pool caches device buffers by size class so that steady-state work
// allocates nothing from the driver. Buffers come back from Storage
// cleanups; the cache holds at most limit bytes, evicting the largest
// classes first when it would grow past it.
type pool struct {
	mu    sync.Mutex
	a     allocator
	free  map[int][]devicePtr
	limit int64
	st    PoolStats
}

func newPool(a allocator, limit int64) *pool {
	return &pool{a: a, free: map[int][]devicePtr{}, limit: limit, st: PoolStats{Limit: limit}}
}

// sizeClass rounds n up to the size actually allocated: powers of two up to
// 1 MiB (at least 512 bytes), above that eight classes per doubling, so
// that no allocation wastes more than 12.5%.
func sizeClass(n int) int {
	const minClass = 512
	if n <= minClass {
		return minClass
	}
	if n <= 1<<20 {
		return 1 << bits.Len(uint(n-1))
	}
	step := 1 << (bits.Len(uint(n-1)) - 4) // an eighth of the power of two below n
	return (n + step - 1) / step * step
}

var errPoolNegative = errors.New("negative allocation size")

// cached returns a cached buffer of at least n bytes (n >= 0) and its
// class size, or ok false when the cache has none; it never calls the
// driver, so any goroutine may use it.
func (p *pool) cached(n int) (ptr devicePtr, c int, ok bool) {
	c = sizeClass(n)
	p.mu.Lock()
	defer p.mu.Unlock()
	if l := p.free[c]; len(l) > 0 {
		ptr = l[len(l)-1]
		p.free[c] = l[:len(l)-1]
		p.st.Hits++
		p.st.BytesCached -= int64(c)
		p.inUse(int64(c))
		return ptr, c, true
	}
	return 0, c, false
}

// get returns a buffer of at least n bytes and its class size.
func (p *pool) get(n int) (devicePtr, int, error) {
	if n < 0 {
		return 0, 0, errPoolNegative
	}
	ptr, c, ok := p.cached(n)
	if ok {
		return ptr, c, nil
	}
	p.mu.Lock()
	p.st.Misses++
	p.mu.Unlock()
	ptr, err := p.a.alloc(c)
	if err != nil {
		// Out of memory with buffers cached: give them back and try once
		// more.
		if p.trim(0) == nil {
			ptr, err = p.a.alloc(c)
		}
		if err != nil {
			return 0, 0, err
		}
	}
	p.mu.Lock()
	p.inUse(int64(c))
	p.mu.Unlock()
	return ptr, c, nil
}

func (p *pool) inUse(d int64) {
	p.st.BytesInUse += d
	p.st.PeakInUse = max(p.st.PeakInUse, p.st.BytesInUse)
}

// put returns a buffer of class size c to the cache, evicting cached
// buffers (largest first) to stay within the limit.
func (p *pool) put(ptr devicePtr, c int) error {
	p.mu.Lock()
	p.st.BytesInUse -= int64(c)
	if int64(c) > p.limit {
		p.mu.Unlock()
		return p.release([]devicePtr{ptr})
	}
	p.free[c] = append(p.free[c], ptr)
	p.st.BytesCached += int64(c)
	var evict []devicePtr
	for p.st.BytesCached > p.limit {
		big := 0
		for k, l := range p.free {
			if len(l) > 0 && k > big {
				big = k
			}
		}
		l := p.free[big]
		evict = append(evict, l[len(l)-1])
		p.free[big] = l[:len(l)-1]
		p.st.BytesCached -= int64(big)
	}
	p.mu.Unlock()
	return p.release(evict)
}

// trim frees cached buffers until at most keep bytes stay cached.
func (p *pool) trim(keep int64) error {
	p.mu.Lock()
	var evict []devicePtr
	for c, l := range p.free {
		for len(l) > 0 && p.st.BytesCached > keep {
			evict = append(evict, l[len(l)-1])
			l = l[:len(l)-1]
			p.st.BytesCached -= int64(c)
		}
		p.free[c] = l
	}
	p.mu.Unlock()
	return p.release(evict)
}

func (p *pool) release(ptrs []devicePtr) error {
	if len(ptrs) == 0 {
		return nil
	}
	if err := p.a.quiesce(); err != nil {
		return err
	}
	var first error
	for _, ptr := range ptrs {
		if err := p.a.free(ptr); err != nil && first == nil {
			first = err
		}
	}
	p.mu.Lock()
	p.st.Frees += int64(len(ptrs))
	p.mu.Unlock()
	return first
}

// stats returns a snapshot.
func (p *pool) stats() PoolStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.st
}

// setLimit changes the cache limit and evicts down to it.
func (p *pool) setLimit(limit int64) error {
	p.mu.Lock()
	p.limit = limit
	p.st.Limit = limit
	p.mu.Unlock()
	return p.trim(limit)
}
