//go:build !(amd64 || arm64) || noasm

package quant

// prefetchL2 is nil without a prefetch kernel: streamNext does nothing.
var prefetchL2 func(p uintptr, n int)
