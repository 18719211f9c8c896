package cuda

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeAlloc hands out addresses and records frees; it can be told to run
// out of memory.
type fakeAlloc struct {
	next      devicePtr
	live      map[devicePtr]int
	freed     int
	quiesced  int
	failAbove int64 // bytes live beyond which alloc fails; 0 = never
	liveBytes int64
}

func newFake() *fakeAlloc { return &fakeAlloc{next: 1 << 20, live: map[devicePtr]int{}} }

func (f *fakeAlloc) alloc(n int) (devicePtr, error) {
	if f.failAbove > 0 && f.liveBytes+int64(n) > f.failAbove {
		return 0, errors.New("out of memory")
	}
	p := f.next
	f.next += devicePtr(n)
	f.live[p] = n
	f.liveBytes += int64(n)
	return p, nil
}

func (f *fakeAlloc) free(p devicePtr) error {
	n, ok := f.live[p]
	if !ok {
		return errors.New("double free")
	}
	delete(f.live, p)
	f.liveBytes -= int64(n)
	f.freed++
	return nil
}

func (f *fakeAlloc) quiesce() error { f.quiesced++; return nil }

func TestSizeClass(t *testing.T) {
	for _, c := range []struct{ n, want int }{
		{0, 512}, {1, 512}, {512, 512}, {513, 1024}, {1 << 20, 1 << 20},
		{1<<20 + 1, 1<<20 + 1<<17}, {3 << 20, 3 << 20}, {(3 << 20) + 1, 3<<20 + 1<<18},
	} {
		assert.Equal(t, c.want, sizeClass(c.n), "sizeClass(%d)", c.n)
	}
	for n := 1; n < 1<<26; n = n*3 + 7 {
		c := sizeClass(n)
		require.GreaterOrEqual(t, c, n)
		if n > 512 {
			require.LessOrEqual(t, float64(c), float64(n)*2, "waste for %d", n)
		}
		if n > 1<<20 {
			require.LessOrEqual(t, float64(c), float64(n)*1.125+1, "waste for %d", n)
		}
	}
}

func TestPoolReuse(t *testing.T) {
	f := newFake()
	p := newPool(f, 1<<20)
	a, ca, err := p.get(1000)
	require.NoError(t, err)
	require.Equal(t, 1024, ca)
	require.NoError(t, p.put(a, ca))
	b, cb, err := p.get(700) // same class: the cached buffer comes back
	require.NoError(t, err)
	require.Equal(t, a, b)
	require.Equal(t, ca, cb)
	st := p.stats()
	require.Equal(t, int64(1), st.Hits)
	require.Equal(t, int64(1), st.Misses)
	require.Equal(t, int64(1024), st.BytesInUse)
	require.Equal(t, int64(0), st.BytesCached)
	require.Len(t, f.live, 1)
}

func TestPoolBoundedCache(t *testing.T) {
	f := newFake()
	p := newPool(f, 4096)
	var ptrs []devicePtr
	for range 6 {
		ptr, c, err := p.get(1024)
		require.NoError(t, err)
		require.Equal(t, 1024, c)
		ptrs = append(ptrs, ptr)
	}
	for _, ptr := range ptrs {
		require.NoError(t, p.put(ptr, 1024))
	}
	st := p.stats()
	require.Equal(t, int64(4096), st.BytesCached, "cache holds its limit")
	require.Equal(t, int64(0), st.BytesInUse)
	require.Equal(t, int64(2), st.Frees)
	require.Equal(t, 2, f.freed)
	require.Positive(t, f.quiesced, "the device drains before memory goes back to the driver")
	require.Equal(t, int64(6*1024), st.PeakInUse)

	// A buffer larger than the whole cache is freed at once.
	big, c, err := p.get(8192)
	require.NoError(t, err)
	require.NoError(t, p.put(big, c))
	require.NotContains(t, f.live, big)

	require.NoError(t, p.setLimit(0))
	require.Equal(t, int64(0), p.stats().BytesCached)
	require.Empty(t, f.live)
}

func TestPoolTrimsOnOutOfMemory(t *testing.T) {
	f := newFake()
	f.failAbove = 5000
	p := newPool(f, 1<<20)
	a, ca, err := p.get(2048)
	require.NoError(t, err)
	require.NoError(t, p.put(a, ca)) // cached: 2048 live at the driver
	_, _, err = p.get(2500)          // 4096 more would pass 5000: the cache is trimmed first
	require.NoError(t, err)
	require.Equal(t, 1, f.freed)
	f.failAbove = 1
	_, _, err = p.get(100)
	require.Error(t, err)
	_, _, err = p.get(-1)
	require.Error(t, err)
}

// cached serves only what the cache holds and never reaches the driver.
func TestPoolCachedNeverAllocates(t *testing.T) {
	f := newFake()
	p := newPool(f, 1<<30)
	_, _, ok := p.cached(1000)
	require.False(t, ok)
	require.Empty(t, f.live, "a miss allocates nothing")
	ptr, c, err := p.get(1000)
	require.NoError(t, err)
	require.NoError(t, p.put(ptr, c))
	got, gc, ok := p.cached(900) // same size class
	require.True(t, ok)
	require.Equal(t, ptr, got)
	require.Equal(t, c, gc)
	st := p.stats()
	require.Equal(t, int64(1), st.Hits)
	require.Equal(t, int64(1), st.Misses)
}
