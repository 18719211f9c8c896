package core

import (
	"fmt"
	"math"
	"sync/atomic"
)

// maxHostAlloc caps a single CPU allocation. A shape that asks for more
// (say [1e6,1] + [1,1e6] broadcast to 4 TB) gets an error instead of the Go
// runtime's unrecoverable out-of-memory crash. It defaults to the machine's
// physical memory where the OS tells it (see physicalMemory).
var maxHostAlloc atomic.Int64

func init() {
	limit := int64(math.MaxInt64)
	if pm := physicalMemory(); pm > 0 && pm < uint64(math.MaxInt64) {
		limit = int64(pm)
	}
	maxHostAlloc.Store(limit)
}

// SetMaxHostAlloc sets the largest single CPU allocation in bytes and
// returns the previous limit. n <= 0 removes the limit.
func SetMaxHostAlloc(n int64) int64 {
	if n <= 0 {
		n = math.MaxInt64
	}
	return maxHostAlloc.Swap(n)
}

// checkHostAlloc reports an allocation of n bytes the limit forbids.
func checkHostAlloc(n int) error {
	if lim := maxHostAlloc.Load(); int64(n) > lim {
		return fmt.Errorf("allocation of %d bytes exceeds the host limit of %d bytes (physical memory; see SetMaxHostAlloc)", n, lim)
	}
	return nil
}

// byteSize returns the bytes a dtype×shape needs, or an error on overflow.
func byteSize(dt DType, s Shape) (int, error) {
	n := s.NumElements()
	if es := dt.Size(); es > 0 && n > math.MaxInt/es {
		return 0, fmt.Errorf("%v %v: byte size overflows int", dt, s)
	}
	return n * dt.Size(), nil
}
