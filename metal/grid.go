package metal

import "fmt"

// Dispatch-size arithmetic on top of the launch table in kernels.go: the
// table gives each kernel family's grid; these helpers fit the threadgroup
// width to what a compiled pipeline allows and check the grid against the
// kernels' 32-bit indexing.

// maxGridDim bounds every grid dimension: kernels index threads and
// threadgroups with 32-bit integers.
const maxGridDim = 1<<32 - 1

// elementThreads is the threadgroup width for elementwise kernels: the
// default, narrowed to the pipeline's maxTotalThreadsPerThreadgroup
// (pipelineMax <= 0 means unknown).
func elementThreads(pipelineMax int) int {
	if pipelineMax > 0 && pipelineMax < DefaultThreads {
		return pipelineMax
	}
	return DefaultThreads
}

// rowThreads is the threadgroup width for one-row-per-group kernels
// (reductions, softmax): a multiple of the SIMD width simd, at most the
// default and the pipeline's maximum, and no wider than a row of cols
// elements needs (at least one simdgroup, also for empty rows).
func rowThreads(cols, simd, pipelineMax int) (int, error) {
	if cols < 0 {
		return 0, fmt.Errorf("metal: negative row length %d", cols)
	}
	if simd <= 0 {
		return 0, fmt.Errorf("metal: SIMD width %d", simd)
	}
	w := DefaultThreads
	if pipelineMax > 0 {
		w = min(w, pipelineMax)
	}
	w = min(w, ceilDiv(max(cols, 1), simd)*simd)
	w = w / simd * simd
	if w < simd {
		return 0, fmt.Errorf("metal: pipeline allows %d threads per threadgroup, less than one %d-wide simdgroup", pipelineMax, simd)
	}
	return w, nil
}

// checkLaunch rejects grids the kernels cannot index and threadgroups the
// pipeline cannot run.
func checkLaunch(l Launch, pipelineMax int) error {
	for _, d := range []int{l.Groups.X, l.Groups.Y, l.Groups.Z} {
		if d < 0 || d > maxGridDim {
			return fmt.Errorf("metal: grid %v exceeds the 32-bit limit", l.Groups)
		}
	}
	t := l.Threads.X * l.Threads.Y * l.Threads.Z
	if t <= 0 {
		return fmt.Errorf("metal: empty threadgroup %v", l.Threads)
	}
	if pipelineMax > 0 && t > pipelineMax {
		return fmt.Errorf("metal: threadgroup %v has %d threads, the pipeline allows %d", l.Threads, t, pipelineMax)
	}
	if l.ThreadgroupMem%16 != 0 {
		return fmt.Errorf("metal: threadgroup memory %d is not a multiple of 16 bytes", l.ThreadgroupMem)
	}
	return nil
}

// batchPolicy decides when the open command buffer is committed: after
// maxDispatches dispatches (so the GPU starts while the host keeps
// encoding, and one failure names a short list of kernels), or earlier
// when the host must wait for it. MLX commits every 20-50 ops and candle
// every 50; 32 sits in that range.
type batchPolicy struct {
	maxDispatches int
}

// defaultBatch is the policy a Context starts with.
var defaultBatch = batchPolicy{maxDispatches: 32}

// full reports whether a command buffer holding n dispatches is committed.
func (p batchPolicy) full(n int) bool { return n >= p.maxDispatches }
