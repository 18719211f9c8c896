package core

import "github.com/lbrx/lbrx/core/internal/gemm"

// SetCPUThreads sets how many goroutines one CPU matrix product may use;
// n <= 0 restores the default: env LBRX_THREADS when set to a positive
// integer, else GOMAXPROCS (which always caps the count).
func SetCPUThreads(n int) { gemm.SetThreads(n) }

// CPUThreads reports the goroutine count CPU matrix products use.
func CPUThreads() int { return gemm.Threads() }

// CPUKernel names the CPU matrix-multiply micro-kernel in use ("avx512",
// "avx2", "neon" or "go"), for benchmark reports.
func CPUKernel() string { return gemm.KernelName() }
