//go:build !linux

package core

// availableMemory is not known here; AvailableMemory falls back to the
// physical memory.
func availableMemory() uint64 { return 0 }
