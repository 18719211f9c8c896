package metal

import "fmt"

// Grid is a dispatch shape: Groups threadgroups of Threads threads each,
// as dispatchThreadgroups:threadsPerThreadgroup: takes them.
type Grid struct {
	Groups, Threads [3]int
}

// Empty reports whether the grid launches no thread (nothing to dispatch).
func (g Grid) Empty() bool {
	for i := range 3 {
		if g.Groups[i] == 0 || g.Threads[i] == 0 {
			return true
		}
	}
	return false
}

// ThreadsPerGroup is the product of the threadgroup's dimensions.
func (g Grid) ThreadsPerGroup() int { return g.Threads[0] * g.Threads[1] * g.Threads[2] }

// String formats the grid for error messages.
func (g Grid) String() string {
	return fmt.Sprintf("%dx%dx%d groups of %dx%dx%d", g.Groups[0], g.Groups[1], g.Groups[2], g.Threads[0], g.Threads[1], g.Threads[2])
}

// ceilDiv is a/b rounded up, for a >= 0 and b > 0.
func ceilDiv(a, b int) int { return (a + b - 1) / b }

// Metal's per-dimension limit on threadgroups of a dispatch is far above
// what lbrx launches, but the kernels index the grid with 32-bit integers.
const maxGridDim = 1<<32 - 1

// linearGrid covers n elements with threadgroups of width threads, one
// thread per element (elementwise kernels). width is clamped to the
// pipeline's maximum.
func linearGrid(n, width, pipelineMax int) (Grid, error) {
	if n < 0 {
		return Grid{}, fmt.Errorf("metal: negative element count %d", n)
	}
	if pipelineMax > 0 && width > pipelineMax {
		width = pipelineMax
	}
	if width <= 0 {
		return Grid{}, fmt.Errorf("metal: threadgroup width %d", width)
	}
	g := ceilDiv(n, width)
	if g > maxGridDim {
		return Grid{}, fmt.Errorf("metal: %d elements need %d threadgroups, above the 32-bit grid limit", n, g)
	}
	return Grid{Groups: [3]int{g, 1, 1}, Threads: [3]int{width, 1, 1}}, nil
}

// rowGrid launches one threadgroup per row (reductions, softmax) with
// width threads: a multiple of simd (the SIMD width) within the
// pipeline's maximum, no wider than the row needs.
func rowGrid(rows, cols, width, simd, pipelineMax int) (Grid, error) {
	if rows < 0 || cols < 0 {
		return Grid{}, fmt.Errorf("metal: negative reduction shape %dx%d", rows, cols)
	}
	if simd <= 0 {
		return Grid{}, fmt.Errorf("metal: SIMD width %d", simd)
	}
	if pipelineMax > 0 && width > pipelineMax {
		width = pipelineMax
	}
	// Narrow rows do not need a wide group; keep at least one simdgroup.
	width = min(width, ceilDiv(max(cols, 1), simd)*simd)
	width = width / simd * simd
	if width < simd {
		return Grid{}, fmt.Errorf("metal: pipeline allows %d threads, less than one %d-wide simdgroup", pipelineMax, simd)
	}
	if rows > maxGridDim {
		return Grid{}, fmt.Errorf("metal: %d rows exceed the 32-bit grid limit", rows)
	}
	return Grid{Groups: [3]int{rows, 1, 1}, Threads: [3]int{width, 1, 1}}, nil
}

// tileGrid covers an MxN output per batch with tile x tile output tiles,
// threads a fixed threadgroup shape (matmul kernels).
func tileGrid(m, n, batch, tile int, threads [3]int) (Grid, error) {
	if m < 0 || n < 0 || batch < 0 {
		return Grid{}, fmt.Errorf("metal: negative matmul shape %dx%d batch %d", m, n, batch)
	}
	if tile <= 0 {
		return Grid{}, fmt.Errorf("metal: tile size %d", tile)
	}
	g := Grid{Groups: [3]int{ceilDiv(n, tile), ceilDiv(m, tile), batch}, Threads: threads}
	for _, d := range g.Groups {
		if d > maxGridDim {
			return Grid{}, fmt.Errorf("metal: matmul %dx%d batch %d exceeds the 32-bit grid limit", m, n, batch)
		}
	}
	return g, nil
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
