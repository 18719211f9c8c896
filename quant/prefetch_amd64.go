//go:build amd64 && !noasm

package quant

//go:noescape
func prefetchL2AMD64(p uintptr, n int)

// prefetchL2 brings the n bytes from p into the L2 cache (int_kernels_amd64.s);
// see streamNext.
var prefetchL2 = prefetchL2AMD64
