package gemm

import (
	"os"
	"runtime"
	"strconv"
	"sync/atomic"
)

// threadSetting is the explicit thread count from SetThreads; 0 means
// "not set", falling back to LBRX_THREADS and then GOMAXPROCS.
var threadSetting atomic.Int64

// SetThreads sets how many goroutines Sgemm may use for one call; n <= 0
// restores the default (env LBRX_THREADS if set to a positive integer,
// else GOMAXPROCS). The result is always capped at GOMAXPROCS.
func SetThreads(n int) {
	threadSetting.Store(int64(max(n, 0)))
}

// Threads reports the goroutine count Sgemm uses for large problems.
func Threads() int {
	procs := runtime.GOMAXPROCS(0)
	n := int(threadSetting.Load())
	if n == 0 {
		// Unset is the usual case: Atoi's error for "" allocates, and this
		// runs for every product of a decode step.
		if e := os.Getenv("LBRX_THREADS"); e != "" {
			if v, err := strconv.Atoi(e); err == nil && v > 0 {
				n = v
			}
		}
	}
	if n <= 0 || n > procs {
		n = procs
	}
	return n
}
