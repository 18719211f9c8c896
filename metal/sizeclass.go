package metal

import (
	"fmt"
	"math/bits"
)

// Size classes of the buffer pool. A request is rounded up to its class
// and only buffers of exactly that class are reused, so a lookup is one map
// access and the memory a request may waste is bounded:
//
//   - up to minClass: one class (Metal cannot allocate 0 bytes, and tiny
//     buffers are not worth distinguishing);
//   - up to classPage: the next power of two (waste < 50% of at most a page);
//   - above: a multiple of a quarter of the enclosing power of two, and of
//     classPage, so the waste stays under 25% and every large buffer is a
//     whole number of pages, as Metal allocates them anyway.
const (
	minClass  = 256
	classPage = 16 << 10 // Apple silicon's VM page
)

// sizeClass returns the capacity the pool allocates for a request of n
// bytes. n must be non-negative.
func sizeClass(n int) (int, error) {
	if n < 0 {
		return 0, fmt.Errorf("metal: negative buffer size %d", n)
	}
	if n <= minClass {
		return minClass, nil
	}
	if n <= classPage {
		return 1 << bits.Len(uint(n-1)), nil
	}
	p := 1 << (bits.Len(uint(n)) - 1) // largest power of two <= n
	step := max(p/4, classPage)
	c := (n + step - 1) / step * step
	if c < n { // overflow near the top of int
		return 0, fmt.Errorf("metal: buffer size %d too large", n)
	}
	return c, nil
}
