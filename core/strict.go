package core

import (
	"errors"
	"os"
	"sync/atomic"
)

// ErrFallback is returned, in strict mode, for an op that a device has no
// kernel for: the error wraps it instead of the op running on the CPU.
var ErrFallback = errors.New("CPU fallback refused in strict mode")

// strict makes Run return ErrFallback where it would run an op on the CPU
// for a device. It starts from LBRX_STRICT=1.
var strict atomic.Bool

func init() { strict.Store(os.Getenv("LBRX_STRICT") == "1") }

// SetStrict turns strict mode on or off and returns the previous setting.
// In strict mode an op that a device cannot run is an error wrapping
// ErrFallback rather than a counted CPU fallback: tests and benchmarks use
// it to make sure that what they measure ran where they think. The
// environment variable LBRX_STRICT=1 turns it on at start-up.
func SetStrict(on bool) (previous bool) { return strict.Swap(on) }

// Strict tells whether strict mode is on.
func Strict() bool { return strict.Load() }
