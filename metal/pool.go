package metal

import (
	"errors"
	"fmt"
	"sync"
)

// Block is one device allocation handed out by a BufferPool.
type Block interface {
	// Cap is the allocation's size in bytes (its size class).
	Cap() int
}

// Allocator makes and frees the blocks a BufferPool caches. The Metal
// context's allocator wraps MTLBuffers; tests use a fake.
type Allocator interface {
	// Allocate returns a new zeroed block of exactly n bytes.
	Allocate(n int) (Block, error)
	// Free releases a block the pool no longer keeps.
	Free(b Block)
}

// PoolStats is a snapshot of a BufferPool's counters.
type PoolStats struct {
	// Hits counts Gets served from the cache; Misses those that allocated.
	Hits, Misses int64
	// Evictions counts blocks freed because the cache was over its limit
	// (on Put) or trimmed.
	Evictions int64
	// BytesCached is held by idle blocks; BytesInUse by blocks handed out.
	BytesCached, BytesInUse int64
	// Limit is the cap on BytesCached.
	Limit int64
}

// BufferPool reuses device buffers by size class so that steady-state
// work allocates nothing. Returned blocks wait in per-class free lists
// until a Get of the same class takes them; the cached total is capped
// (blocks returned beyond the cap are freed). A Get that fails to
// allocate frees the whole cache and tries once more, since cached idle
// blocks are the first thing to give back under memory pressure.
// BufferPool is safe for concurrent use.
type BufferPool struct {
	alloc Allocator

	mu    sync.Mutex
	free  map[int][]Block
	stats PoolStats
}

// NewBufferPool returns a pool over alloc caching at most limit idle bytes.
func NewBufferPool(alloc Allocator, limit int64) (*BufferPool, error) {
	if alloc == nil {
		return nil, errors.New("metal: buffer pool needs an allocator")
	}
	if limit < 0 {
		return nil, fmt.Errorf("metal: negative buffer pool limit %d", limit)
	}
	return &BufferPool{alloc: alloc, free: map[int][]Block{}, stats: PoolStats{Limit: limit}}, nil
}

// Get returns a block of at least n bytes (its size class). A reused block
// keeps its old contents; callers that need zeros clear it.
func (p *BufferPool) Get(n int) (Block, bool, error) {
	c, err := sizeClass(n)
	if err != nil {
		return nil, false, err
	}
	p.mu.Lock()
	if l := p.free[c]; len(l) > 0 {
		b := l[len(l)-1]
		l[len(l)-1] = nil
		p.free[c] = l[:len(l)-1]
		p.stats.Hits++
		p.stats.BytesCached -= int64(c)
		p.stats.BytesInUse += int64(c)
		p.mu.Unlock()
		return b, true, nil
	}
	p.stats.Misses++
	p.mu.Unlock()

	b, err := p.alloc.Allocate(c)
	if err != nil && p.Trim(0) > 0 {
		b, err = p.alloc.Allocate(c)
	}
	if err != nil {
		return nil, false, fmt.Errorf("allocate %d bytes (size class of %d): %w", c, n, err)
	}
	if b.Cap() != c {
		p.alloc.Free(b)
		return nil, false, fmt.Errorf("metal: allocator returned %d bytes for a %d-byte class", b.Cap(), c)
	}
	p.mu.Lock()
	p.stats.BytesInUse += int64(c)
	p.mu.Unlock()
	return b, false, nil
}

// Put returns a block obtained from Get. The caller must not use it
// afterwards (nor may the GPU: return a block only once the work that
// touched it has completed).
func (p *BufferPool) Put(b Block) {
	if b == nil {
		return
	}
	c := int64(b.Cap())
	p.mu.Lock()
	p.stats.BytesInUse -= c
	if p.stats.BytesCached+c > p.stats.Limit {
		p.stats.Evictions++
		p.mu.Unlock()
		p.alloc.Free(b)
		return
	}
	p.free[b.Cap()] = append(p.free[b.Cap()], b)
	p.stats.BytesCached += c
	p.mu.Unlock()
}

// Trim frees idle blocks until at most keep bytes stay cached, largest
// classes first (they return the most memory per call). It returns the
// number of bytes freed.
func (p *BufferPool) Trim(keep int64) int64 {
	p.mu.Lock()
	var victims []Block
	for p.stats.BytesCached > keep {
		c := 0
		for k, l := range p.free {
			if len(l) > 0 && k > c {
				c = k
			}
		}
		if c == 0 {
			break
		}
		l := p.free[c]
		victims = append(victims, l[len(l)-1])
		l[len(l)-1] = nil
		p.free[c] = l[:len(l)-1]
		if len(p.free[c]) == 0 {
			delete(p.free, c)
		}
		p.stats.BytesCached -= int64(c)
		p.stats.Evictions++
	}
	p.mu.Unlock()
	var freed int64
	for _, b := range victims {
		freed += int64(b.Cap())
		p.alloc.Free(b)
	}
	return freed
}

// SetLimit changes the cap on cached bytes, trimming to it.
func (p *BufferPool) SetLimit(limit int64) error {
	if limit < 0 {
		return fmt.Errorf("metal: negative buffer pool limit %d", limit)
	}
	p.mu.Lock()
	p.stats.Limit = limit
	p.mu.Unlock()
	p.Trim(limit)
	return nil
}

// Stats returns a snapshot of the counters.
func (p *BufferPool) Stats() PoolStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}
