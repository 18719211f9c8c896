//go:build (!amd64 && !arm64) || noasm

package gemm

// archKernels lists the kernels this build can run: only the portable one
// without assembly.
func archKernels() []*kernel { return []*kernel{&kernelGo} }

// packAFast has no assembly here: the portable packing always runs.
func packAFast(*kernel, []float32, int, int, int, int, []float32) bool { return false }

// packBTransFast has no assembly here: the portable packing always runs.
func packBTransFast(*kernel, []float32, int, int, int, int, []float32) bool { return false }
