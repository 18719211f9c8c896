package core_test

import (
	"fmt"
	"math"

	"github.com/lbrx/lbrx/core"
)

// RMS normalisation of each row, scaled per column: the row [3, 4] has a
// root mean square of sqrt(12.5).
func ExampleRMSNorm() {
	x := must(core.FromSlice([]float32{3, 4, 1, 1}, 2, 2))
	w := must(core.FromSlice([]float32{1, 2}, 2))
	y := must(core.RMSNorm(x, w, 0))
	fmt.Printf("%.4f\n", must(y.Values()))
	// Output: [0.8485 2.2627 1.0000 2.0000]
}

// Rotary embedding of one head vector [x1 | x2] at two positions: position
// 0 (angle 0) leaves it alone, position 1 turns the pair (1, 0) by 90°.
func ExampleRoPE() {
	x := must(core.FromSlice([]float32{1, 0, 1, 0}, 2, 1, 2)) // [T=2, H=1, D=2]
	cos := must(core.FromSlice([]float32{1, float32(math.Cos(math.Pi / 2))}, 2, 1))
	sin := must(core.FromSlice([]float32{0, 1}, 2, 1))
	y := must(core.RoPE(x, cos, sin))
	fmt.Printf("%.3f\n", must(y.Values()))
	// Output: [1.000 0.000 0.000 1.000]
}

// Causal attention over two positions with one head: the first query sees
// only the first key, so it returns the first value exactly; the second
// averages both values (equal scores).
func ExampleCausalAttention() {
	q := must(core.FromSlice([]float32{1, 0, 0, 1}, 2, 1, 2)) // [T, H, D]
	k := must(core.FromSlice([]float32{1, 1, 1, 1}, 2, 1, 2))
	v := must(core.FromSlice([]float32{2, 0, 4, 8}, 2, 1, 2))
	y := must(core.CausalAttention(q, k, v, 1/math.Sqrt2))
	fmt.Println(must(y.Values()))
	// Output: [2 0 3 4]
}

// A sliding window of 2 over three positions: the third query no longer
// sees the first key, so it averages the last two values (equal scores).
// A soft cap of 1 squeezes the second query's scores 9 and 5 to
// tanh(9) ≈ tanh(5) ≈ 1, so it nearly averages its two values too.
func ExampleAttention() {
	q := must(core.FromSlice([]float32{1, 1, 1}, 3, 1, 1)) // [T, H, D]
	k := must(core.FromSlice([]float32{9, 5, 5}, 3, 1, 1))
	v := must(core.FromSlice([]float32{100, 2, 4}, 3, 1, 1))
	y := must(core.Attention(q, k, v, core.AttentionParams{Scale: 1, Window: 2, SoftCap: 1}))
	fmt.Printf("%.2f\n", must(y.Values()))
	// Output: [100.00 51.00 3.00]
}
