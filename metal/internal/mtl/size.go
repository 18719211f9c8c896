package mtl

import "structs"

// Size mirrors MTLSize: three NSUIntegers, passed to Metal by value.
type Size struct {
	_      structs.HostLayout
	Width  uint64
	Height uint64
	Depth  uint64
}

// Resource options (MTLResourceOptions) lbrx uses. StorageModeShared is 0
// shifted into the storage-mode field, so the default options already mean
// CPU-and-GPU-visible memory; the constant is spelled out because the
// zero-copy path relies on it.
const (
	// ResourceStorageModeShared is MTLResourceStorageModeShared
	// (MTLStorageModeShared << MTLResourceStorageModeShift, 0 << 4).
	ResourceStorageModeShared uint = 0 << 4
)

// GPU families (MTLGPUFamily) that decide which kernels lbrx picks.
const (
	// GPUFamilyApple7 (A14, M1) is the first family with simdgroup
	// matrix instructions.
	GPUFamilyApple7 = 1007
	// GPUFamilyMetal3 is the Metal 3 feature set.
	GPUFamilyMetal3 = 5001
)

// Command buffer states (MTLCommandBufferStatus).
const (
	StatusNotEnqueued = 0
	StatusEnqueued    = 1
	StatusCommitted   = 2
	StatusScheduled   = 3
	StatusCompleted   = 4
	StatusError       = 5
)

// StatusString names a command buffer status for error messages.
func StatusString(s uint) string {
	switch s {
	case StatusNotEnqueued:
		return "not enqueued"
	case StatusEnqueued:
		return "enqueued"
	case StatusCommitted:
		return "committed"
	case StatusScheduled:
		return "scheduled"
	case StatusCompleted:
		return "completed"
	case StatusError:
		return "error"
	}
	return "unknown status"
}
