package core

import "fmt"

// AvailableMemory returns the bytes of memory the OS says a program can
// still allocate without swapping (Linux: MemAvailable), the physical
// memory where the OS tells no more (macOS), or 0 when unknown.
func AvailableMemory() uint64 {
	if n := availableMemory(); n > 0 {
		return n
	}
	return physicalMemory()
}

// CheckMemory returns an error when need bytes exceed AvailableMemory;
// what names the work in the message ("demo --size 70000"). Tools call it
// before large allocations, so that a size the machine cannot hold fails
// with one line instead of the Go runtime's out-of-memory crash or a
// machine driven into swap. Unknown available memory passes.
func CheckMemory(need uint64, what string) error {
	avail := AvailableMemory()
	if avail == 0 || need <= avail {
		return nil
	}
	return fmt.Errorf("%s needs %s of memory, only %s is available", what, FormatBytes(need), FormatBytes(avail))
}

// FormatBytes writes n in binary units ("1.5 GiB").
func FormatBytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
