package metal

import (
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeBlock and fakeAllocator stand in for MTLBuffers: they record what
// is live so the tests can check the pool frees exactly what it drops.
type fakeBlock struct {
	id, n int
}

func (b *fakeBlock) Cap() int { return b.n }

type fakeAllocator struct {
	mu       sync.Mutex
	next     int
	live     map[int]int // id -> size
	budget   int         // bytes that may be live at once; 0 = unlimited
	freed    int
	failNext bool
}

func newFake(budget int) *fakeAllocator { return &fakeAllocator{live: map[int]int{}, budget: budget} }

func (f *fakeAllocator) liveBytes() int {
	s := 0
	for _, n := range f.live {
		s += n
	}
	return s
}

func (f *fakeAllocator) Allocate(n int) (Block, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failNext {
		f.failNext = false
		return nil, errors.New("fake: injected failure")
	}
	if f.budget > 0 && f.liveBytes()+n > f.budget {
		return nil, errors.New("fake: out of memory")
	}
	f.next++
	f.live[f.next] = n
	return &fakeBlock{id: f.next, n: n}, nil
}

func (f *fakeAllocator) Free(b Block) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fb := b.(*fakeBlock)
	if _, ok := f.live[fb.id]; !ok {
		panic("fake: double free")
	}
	delete(f.live, fb.id)
	f.freed++
}

func TestSizeClass(t *testing.T) {
	for _, tc := range []struct{ n, want int }{
		{0, 256}, {1, 256}, {256, 256}, {257, 512}, {1000, 1024}, {4096, 4096},
		{4097, 8192}, {16384, 16384}, {16385, 32768}, {65536, 65536},
		{65537, 65536 + 16384}, {1 << 20, 1 << 20}, {1<<20 + 1, 1<<20 + 1<<18},
		{3 << 20, 3 << 20},
	} {
		got, err := sizeClass(tc.n)
		require.NoError(t, err)
		assert.Equal(t, tc.want, got, "sizeClass(%d)", tc.n)
	}
	_, err := sizeClass(-1)
	require.Error(t, err)
}

func TestSizeClassBounds(t *testing.T) {
	// Every class covers its request, wastes under 25% above a page and
	// is page-aligned there; the classes are monotonic.
	prev := 0
	for n := 0; n < 1<<22; n += 997 {
		c, err := sizeClass(n)
		require.NoError(t, err)
		require.GreaterOrEqual(t, c, n)
		require.GreaterOrEqual(t, c, prev)
		prev = c
		if n > classPage {
			require.Zero(t, c%classPage, "class %d of %d not page-aligned", c, n)
			require.Less(t, float64(c-n), 0.25*float64(n)+classPage, "class %d wastes too much for %d", c, n)
		}
	}
}

func TestPoolReuse(t *testing.T) {
	f := newFake(0)
	p, err := NewBufferPool(f, 1<<20)
	require.NoError(t, err)

	a, reused, err := p.Get(1000)
	require.NoError(t, err)
	assert.False(t, reused)
	assert.Equal(t, 1024, a.Cap())
	p.Put(a)
	st := p.Stats()
	assert.Equal(t, int64(1024), st.BytesCached)
	assert.Zero(t, st.BytesInUse)

	b, reused, err := p.Get(600) // same class
	require.NoError(t, err)
	assert.True(t, reused)
	assert.Same(t, a, b)
	c, _, err := p.Get(5000) // other class: a miss
	require.NoError(t, err)
	st = p.Stats()
	assert.Equal(t, int64(1), st.Hits)
	assert.Equal(t, int64(2), st.Misses)
	assert.Equal(t, int64(1024+8192), st.BytesInUse)
	assert.Zero(t, st.BytesCached)
	p.Put(b)
	p.Put(c)
	assert.Len(t, f.live, 2, "cached blocks stay allocated")
	assert.Equal(t, int64(1024+8192), p.Trim(0))
	assert.Empty(t, f.live)
	assert.Zero(t, p.Stats().BytesCached)
}

func TestPoolLimit(t *testing.T) {
	f := newFake(0)
	p, err := NewBufferPool(f, 4096)
	require.NoError(t, err)
	var bs []Block
	for range 3 {
		b, _, err := p.Get(2048)
		require.NoError(t, err)
		bs = append(bs, b)
	}
	for _, b := range bs {
		p.Put(b)
	}
	st := p.Stats()
	assert.Equal(t, int64(4096), st.BytesCached, "only two 2 KiB blocks fit under the cap")
	assert.Equal(t, int64(1), st.Evictions)
	assert.Len(t, f.live, 2)

	require.NoError(t, p.SetLimit(2048))
	assert.Equal(t, int64(2048), p.Stats().BytesCached)
	assert.Len(t, f.live, 1)
	require.Error(t, p.SetLimit(-1))
}

func TestPoolTrimsCacheWhenAllocationFails(t *testing.T) {
	f := newFake(8192)
	p, err := NewBufferPool(f, 1<<20)
	require.NoError(t, err)
	a, _, err := p.Get(4096)
	require.NoError(t, err)
	b, _, err := p.Get(4096)
	require.NoError(t, err)
	p.Put(a)
	p.Put(b)
	// 8 KiB are cached; a 8 KiB request cannot fit beside them, so the
	// pool must drop its cache and retry.
	c, reused, err := p.Get(8192)
	require.NoError(t, err)
	assert.False(t, reused)
	assert.Equal(t, 8192, c.Cap())
	assert.Zero(t, p.Stats().BytesCached)

	// With nothing left to trim the error comes through, with the sizes.
	f.failNext = true
	_, _, err = p.Get(100)
	require.ErrorContains(t, err, "allocate 256 bytes (size class of 100)")
	require.ErrorContains(t, err, "injected failure")
}

func TestPoolRejectsBadInput(t *testing.T) {
	_, err := NewBufferPool(nil, 0)
	require.Error(t, err)
	_, err = NewBufferPool(newFake(0), -5)
	require.Error(t, err)
	p, err := NewBufferPool(newFake(0), 0)
	require.NoError(t, err)
	_, _, err = p.Get(-1)
	require.Error(t, err)
	p.Put(nil) // ignored
}

type wrongSizeAllocator struct{ *fakeAllocator }

func (w wrongSizeAllocator) Allocate(n int) (Block, error) { return w.fakeAllocator.Allocate(n + 1) }

func TestPoolChecksAllocatorSize(t *testing.T) {
	f := newFake(0)
	p, err := NewBufferPool(wrongSizeAllocator{f}, 0)
	require.NoError(t, err)
	_, _, err = p.Get(100)
	require.ErrorContains(t, err, "allocator returned 257 bytes for a 256-byte class")
	assert.Empty(t, f.live)
}

func TestPoolConcurrent(t *testing.T) {
	f := newFake(0)
	p, err := NewBufferPool(f, 1<<16)
	require.NoError(t, err)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				b, _, err := p.Get(256 << ((g + i) % 5))
				if err != nil {
					t.Error(err)
					return
				}
				p.Put(b)
			}
		})
	}
	wg.Wait()
	st := p.Stats()
	assert.Zero(t, st.BytesInUse)
	assert.Equal(t, int64(8*200), st.Hits+st.Misses)
	assert.LessOrEqual(t, st.BytesCached, st.Limit)
	assert.Equal(t, int(st.BytesCached), f.liveBytes(), "every live block is cached, none leaked")
}
