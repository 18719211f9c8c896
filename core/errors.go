package core

import "errors"

// ErrUnsupported is returned by a device's Execute for an op or dtype it has
// no kernel for; core then runs the op on the CPU and counts the fallback.
var ErrUnsupported = errors.New("operation not supported by this device")

// errMisaligned reports host bytes whose address does not suit the element
// type; callers copy instead of building a typed slice.
var errMisaligned = errors.New("tensor data is not aligned to its element size")

// errNoCPUKernel reports an op whose CPU kernel is not registered (one that
// another module provides, such as quant's quantized matmul).
var errNoCPUKernel = errors.New("no CPU kernel")
