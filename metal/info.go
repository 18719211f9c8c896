package metal

// Info describes the GPU a Context drives.
type Info struct {
	Name string
	// UnifiedMemory is true on Apple silicon: host memory can become a
	// Metal buffer without a copy.
	UnifiedMemory bool
	// MaxBufferLength is the largest single buffer, in bytes.
	MaxBufferLength int
	// RecommendedWorkingSet is how much memory the GPU should use, in bytes.
	RecommendedWorkingSet uint64
	// SimdgroupMatrix is true on Apple7+ GPUs (M1 and later), whose matmul
	// uses simdgroup_matrix instructions.
	SimdgroupMatrix bool
	// Library says where the kernels came from: the embedded metallib or
	// a run-time compile of the embedded sources (and why).
	Library string
}
