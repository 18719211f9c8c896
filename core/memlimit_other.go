//go:build !linux && !darwin

package core

// physicalMemory is unknown here: no limit beyond the Go runtime's own.
func physicalMemory() uint64 { return 0 }
