package vec_test

import (
	"fmt"

	"github.com/lbrx/lbrx/core/internal/vec"
)

func ExampleSoftmax() {
	x := []float32{1, 2, 3, 4}
	p := make([]float32, len(x))
	vec.Softmax(p, x)
	fmt.Printf("%.4f\n", p)
	// Output: [0.0321 0.0871 0.2369 0.6439]
}
