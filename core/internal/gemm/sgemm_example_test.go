package gemm_test

import (
	"fmt"

	"github.com/lbrx/lbrx/core/internal/gemm"
)

// C = A·Bᵀ with B stored as its transpose (n×k): no copy is made, the
// packing step reads B's rows as columns.
func ExampleSgemm() {
	a := []float32{1, 2, 3, 4, 5, 6} // 2×3
	b := []float32{1, 0, 1, 0, 1, 0} // 2×3, used transposed as 3×2
	c := make([]float32, 4)          // 2×2
	gemm.Sgemm(false, true, 2, 2, 3, a, 3, b, 3, c, 2)
	fmt.Println(c)
	// Output: [4 2 10 5]
}
