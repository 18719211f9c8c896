package gemm

import (
	"fmt"
	"sync/atomic"
)

// kernels lists the micro-kernels this process can run, fastest first.
var kernels = archKernels()

// active is the kernel Sgemm uses: the fastest available unless forced.
var active atomic.Pointer[kernel]

func init() { active.Store(kernels[0]) }

func activeKernel() *kernel { return active.Load() }

// KernelName reports the micro-kernel Sgemm uses: "avx512", "avx2",
// "neon" or "go".
func KernelName() string { return activeKernel().name }

// Kernels lists the micro-kernels this CPU and build can run, fastest
// first.
func Kernels() []string {
	names := make([]string, len(kernels))
	for i, k := range kernels {
		names[i] = k.name
	}
	return names
}

// UseKernel forces the named micro-kernel (one of Kernels()), for tests
// and benchmarks that compare instruction-set paths; "" restores the
// fastest.
func UseKernel(name string) error {
	if name == "" {
		active.Store(kernels[0])
		return nil
	}
	for _, k := range kernels {
		if k.name == name {
			active.Store(k)
			return nil
		}
	}
	return fmt.Errorf("gemm: kernel %q not available here (have %v)", name, Kernels())
}
