package quant

import (
	"testing"
	"unsafe"

	"github.com/lbrx/lbrx/core"
)

// The prefetch kernel takes any length, and never faults, not even on
// memory that is not mapped (the page at 4096 never is on Linux, nor
// address 0 anywhere).
func TestPrefetchL2(t *testing.T) {
	if prefetchL2 == nil {
		t.Skip("no prefetch kernel on this build")
	}
	buf := make([]byte, 1000)
	p := uintptr(unsafe.Pointer(&buf[0]))
	for _, n := range []int{0, 1, 63, 64, 127, 128, 129, 1000} {
		prefetchL2(p, n)
	}
	prefetchL2(0, 256)
	prefetchL2(4096, 1<<16)
}

// recorder returns a prefetch function that records the ranges it is
// asked for.
func recorder(got *[][2]uintptr) func(p uintptr, n int) {
	return func(p uintptr, n int) { *got = append(*got, [2]uintptr{p, uintptr(n)}) }
}

func TestProductPrefetch(t *testing.T) {
	got := new([][2]uintptr)
	pf := recorder(got)
	// Two weights, rows of 100 and 300 bytes: rows 0-9 then 0-19.
	p := product{rows: 30}
	p.spans[0] = span{p: 1 << 20, rows: 10, rowBytes: 100}
	p.spans[1] = span{p: 1 << 24, rows: 20, rowBytes: 300}
	p.prefetch(pf, 12, func() bool { return false })
	// Row 12 is the second weight's row 2: bytes 600..6000 of it, in one
	// step (less than prefetchStep).
	want := [][2]uintptr{{1<<24 + 600, 6000 - 600}}
	if len(*got) != 1 || (*got)[0] != want[0] {
		t.Fatalf("prefetched %v, want %v", *got, want)
	}
	*got = nil
	p.prefetch(pf, 5, func() bool { return false })
	want = [][2]uintptr{{1<<20 + 500, 500}, {1 << 24, 6000}}
	if len(*got) != 2 || (*got)[0] != want[0] || (*got)[1] != want[1] {
		t.Fatalf("prefetched %v, want %v", *got, want)
	}
	// A large weight: prefetchStep pieces up to prefetchBudget bytes.
	*got = nil
	big := product{rows: 1 << 14}
	big.spans[0] = span{p: 1 << 30, rows: 1 << 14, rowBytes: 1152}
	big.prefetch(pf, 0, func() bool { return false })
	total := 0
	for i, r := range *got {
		if r[0] != 1<<30+uintptr(i*prefetchStep) || int(r[1]) > prefetchStep {
			t.Fatalf("piece %d is %v", i, r)
		}
		total += int(r[1])
	}
	if total != prefetchBudget {
		t.Fatalf("prefetched %d bytes, want the budget %d", total, prefetchBudget)
	}
	// busy stops it.
	*got = nil
	calls := 0
	big.prefetch(pf, 0, func() bool { calls++; return calls > 3 })
	if len(*got) != 3 {
		t.Fatalf("%d pieces after busy, want 3", len(*got))
	}
}

var followSink []*BlockWeight

// streamNext remembers which product followed which: after A, B, A the
// table says B follows A and A follows B.
func TestStreamNextRemembersFollowers(t *testing.T) {
	if prefetchL2 == nil {
		t.Skip("no prefetch kernel on this build: streamNext does nothing")
	}
	a := &BlockWeight{Scheme: core.SchemeQ4_0, N: 4, K: 32, Blocks: make([]byte, 4*18)}
	b := &BlockWeight{Scheme: core.SchemeQ8_0, N: 2, K: 32, Blocks: make([]byte, 2*34)}
	c := &BlockWeight{Scheme: core.SchemeQ8_0, N: 3, K: 32, Blocks: make([]byte, 3*34)}
	followSink = []*BlockWeight{a, b, c} // on the heap: a stack copy would move them
	addr := func(w *BlockWeight) uintptr { return uintptr(unsafe.Pointer(&w.Blocks[0])) }
	streamNext(a)
	streamNext(b, c) // a concatenated product of b and c
	streamNext(a)
	followers.Lock()
	defer followers.Unlock()
	next, ok := followers.next[addr(a)]
	if !ok || next.rows != 5 || next.spans[0] != (span{addr(b), 2, 34}) || next.spans[1] != (span{addr(c), 3, 34}) {
		t.Errorf("after a: %+v (%v)", next, ok)
	}
	if next, ok = followers.next[addr(b)]; !ok || next.rows != 4 || next.spans[0] != (span{addr(a), 4, 18}) {
		t.Errorf("after b: %+v (%v)", next, ok)
	}
}
