//go:build !noasm

package quant

//go:noescape
func prefetchL2ARM64(p uintptr, n int)

// prefetchL2 brings the n bytes from p into the L2 cache (int_kernels_arm64.s);
// see streamNext.
var prefetchL2 = prefetchL2ARM64
