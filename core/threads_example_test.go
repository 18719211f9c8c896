package core_test

import (
	"fmt"

	"github.com/lbrx/lbrx/core"
)

// Large CPU matrix products use every GOMAXPROCS thread by default;
// SetCPUThreads caps them (here to one), 0 restores the default.
func ExampleSetCPUThreads() {
	core.SetCPUThreads(1)
	defer core.SetCPUThreads(0)
	fmt.Println(core.CPUThreads())
	// Output: 1
}

// ParallelFor hands contiguous chunks of a range to the CPU workers; each
// chunk writes only its own part of the output.
func ExampleParallelFor() {
	y := make([]float32, 1000)
	core.ParallelFor(len(y), 16, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			y[i] = float32(2 * i)
		}
	})
	fmt.Println(y[0], y[999])
	// Output: 0 1998
}

// Sgemm multiplies row-major float32 slices: here C[2×2] = A[2×3] · Bᵀ
// with B stored as 2×3 (transB).
func ExampleSgemm() {
	a := []float32{1, 2, 3, 4, 5, 6}
	b := []float32{1, 0, 1, 0, 1, 0}
	c := make([]float32, 4)
	core.Sgemm(false, true, 2, 2, 3, a, 3, b, 3, c, 2)
	fmt.Println(c)
	// Output: [4 2 10 5]
}
