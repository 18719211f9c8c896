package core

import (
	"github.com/lbrx/lbrx/core/internal/gemm"
	"github.com/lbrx/lbrx/core/internal/workers"
)

// SetCPUThreads sets how many goroutines one CPU matrix product may use;
// n <= 0 restores the default: env LBRX_THREADS when set to a positive
// integer, else GOMAXPROCS (which always caps the count).
func SetCPUThreads(n int) { gemm.SetThreads(n) }

// CPUThreads reports the goroutine count CPU matrix products use.
func CPUThreads() int { return gemm.Threads() }

// CPUKernel names the CPU matrix-multiply micro-kernel in use ("avx512",
// "avx2", "neon" or "go"), for benchmark reports.
func CPUKernel() string { return gemm.KernelName() }

// ParallelFor calls fn over [0, total) in contiguous chunks (sizes a
// multiple of align but the last) on up to CPUThreads() goroutines: the
// caller and persistent helpers that spin briefly between calls rather
// than being started per call. Chunks are handed out dynamically, so a
// core slowed by other work takes fewer. fn must be safe to run
// concurrently on disjoint ranges. A ParallelFor inside fn, or while
// another goroutine's is in progress, runs fn over the whole range
// inline. It is for the CPU kernels of lbrx's own modules (the quant
// module's matrix products).
func ParallelFor(total, align int, fn func(lo, hi int)) {
	workers.For(gemm.Threads(), total, align, fn)
}

// parallelElementwise is the element count from which a cheap
// kernel (silu_mul, rms_norm) splits over the CPU workers: a prompt's
// MLP intermediate (tokens × 8192) does, a decode step's does not, where
// waking the helpers would cost more than the op.
const parallelElementwise = 1 << 16

// WhenIdle hands fn to a CPU worker that is spinning for the next
// ParallelFor, for optional work that hides in the caller's serial code
// in between (the quant module streams the next product's weights into
// the caches): fn must return soon after busy reports true (the next
// ParallelFor has begun). A newer fn replaces one not yet taken; with
// one thread, fn never runs.
func WhenIdle(fn func(busy func() bool)) {
	if gemm.Threads() > 1 {
		workers.WhenIdle(fn)
	}
}

// HelperChunk returns the range of a ParallelFor(total, align) that a
// helper normally runs first (the caller takes the first chunk, the
// first helper the next): what a WhenIdle fn should bring into the
// caches first. hi == lo when the loop would run on the caller alone.
func HelperChunk(total, align int) (lo, hi int) {
	return workers.HelperChunk(gemm.Threads(), total, align)
}
