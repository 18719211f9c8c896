//go:build !noasm

package gemm

// Assembly micro-kernel; see kernel.go for the contract. Every arm64 CPU
// has NEON (Advanced SIMD), so no run-time check is needed.

//go:noescape
func microNEON(kc int, a, b, c *float32, ldc int, acc bool)

//go:noescape
func sdotNEON(n int, x, y *float32, out *[4]float32)

//go:noescape
func saxpyNEON(n int, alpha float32, x, y *float32)

// dotNEON sums the four lanes sdotNEON leaves.
func dotNEON(n int, x, y *float32) float32 {
	var o [4]float32
	sdotNEON(n, x, y, &o)
	return (o[0] + o[1]) + (o[2] + o[3])
}

var kernelNEON = kernel{name: "neon", mr: 6, nr: 16, run: microNEON, block: blocking{kc: 256, nb: 512, mb: 4092},
	vw: 16, dot: dotNEON, axpy: saxpyNEON}

// packAFast has no assembly on arm64: the portable packing runs.
func packAFast(*kernel, []float32, int, int, int, int, []float32) bool { return false }

// packBTransFast has no assembly on arm64: the portable packing runs.
func packBTransFast(*kernel, []float32, int, int, int, int, []float32) bool { return false }

// archKernels lists the kernels this CPU can run, fastest first.
func archKernels() []*kernel { return []*kernel{&kernelNEON, &kernelGo} }
