package workers

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// cover runs For and checks that every index in [0, total) is visited
// exactly once and that every chunk but the last is a multiple of align.
func cover(t *testing.T, threads, total, align int) {
	t.Helper()
	hits := make([]atomic.Int32, max(total, 0))
	var bad atomic.Int32
	For(threads, total, align, func(lo, hi int) {
		if lo < 0 || hi > total || lo >= hi || (hi != total && (hi-lo)%max(align, 1) != 0) {
			bad.Add(1)
			return
		}
		for i := lo; i < hi; i++ {
			hits[i].Add(1)
		}
	})
	if bad.Load() != 0 {
		t.Errorf("threads %d total %d align %d: %d bad chunks", threads, total, align, bad.Load())
		return
	}
	for i := range hits {
		if n := hits[i].Load(); n != 1 {
			t.Errorf("threads %d total %d align %d: index %d visited %d times", threads, total, align, i, n)
			return
		}
	}
}

func TestForCoversEveryIndexOnce(t *testing.T) {
	for _, threads := range []int{0, 1, 2, 3, 8} {
		for _, total := range []int{-1, 0, 1, 2, 7, 16, 17, 100, 1000, 4099} {
			for _, align := range []int{0, 1, 4, 16, 64} {
				cover(t, threads, total, align)
			}
		}
	}
}

// Many jobs in a row exercise the helpers' spin, park and wake paths.
func TestForRepeated(t *testing.T) {
	for i := range 2000 {
		cover(t, 2+i%3, 64+i%50, 1+i%5)
	}
}

// A For inside fn, or from several goroutines at once, runs inline
// rather than deadlocking.
func TestForNestedAndConcurrent(t *testing.T) {
	var sum atomic.Int64
	For(2, 64, 1, func(lo, hi int) {
		For(2, 64, 1, func(a, b int) { sum.Add(int64((b - a) * (hi - lo))) })
	})
	if got := sum.Load(); got != 64*64 {
		t.Fatalf("nested sum %d, want %d", got, 64*64)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 200 {
				cover(t, 2, 300, 8)
			}
		})
	}
	wg.Wait()
}

// HelperChunk names the second chunk For hands out: the one the first
// helper runs when the caller has taken the first.
func TestHelperChunkIsTheSecondChunk(t *testing.T) {
	for _, threads := range []int{0, 1, 2, 3, 8} {
		for _, total := range []int{-1, 0, 1, 15, 16, 17, 33, 100, 2048, 3072, 4099} {
			for _, align := range []int{0, 1, 16} {
				lo, hi := HelperChunk(threads, total, align)
				if threads <= 1 || max(align, 1) >= total {
					if lo != hi {
						t.Errorf("threads %d total %d align %d: [%d, %d), want empty (inline)", threads, total, align, lo, hi)
					}
					continue
				}
				// The chunks For hands out one after another.
				j := &job{total: total, align: max(align, 1), parts: guide * threads, fn: func(int, int) {}}
				first := chunkSize(total, j.parts, j.align)
				second := chunkSize(total-first, j.parts, j.align)
				if lo != first || hi != first+second || hi > total || lo >= hi {
					t.Errorf("threads %d total %d align %d: [%d, %d), want [%d, %d)", threads, total, align, lo, hi, first, first+second)
				}
			}
		}
	}
}

// A WhenIdle fn runs on a spinning helper and sees busy turn true once
// the next For starts.
func TestWhenIdle(t *testing.T) {
	var once sync.Once
	started := make(chan struct{})
	saw := make(chan struct{})
	fn := func(busy func() bool) {
		once.Do(func() {
			close(started)
			for !busy() {
				runtime.Gosched()
			}
			close(saw)
		})
	}
	// The helper parks 100 µs after a job: post the fn right after one,
	// again until a helper takes it.
	for taken := false; !taken; {
		For(2, 64, 1, func(int, int) {})
		WhenIdle(fn)
		select {
		case <-started:
			taken = true
		case <-time.After(20 * time.Millisecond):
		}
	}
	For(2, 64, 1, func(int, int) {})
	select {
	case <-saw:
	case <-time.After(10 * time.Second):
		t.Fatal("busy never reported the next job")
	}
}
