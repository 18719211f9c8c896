package core_test

import (
	"fmt"

	"github.com/lbrx/lbrx/core"
)

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// Adding a row vector to every row of a matrix: [2,3] + [3] broadcasts.
func ExampleAdd() {
	x := must(core.FromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3))
	bias := must(core.FromSlice([]float32{10, 20, 30}, 3))
	y := must(core.Add(x, bias))
	fmt.Println(y.Shape(), must(y.Values()))
	// Output: [2 3] [11 22 33 14 25 36]
}

// A matrix product with a transposed view: w.T() is not copied, the CPU
// kernel reads it in place as a column-major matrix.
func ExampleMatMul() {
	x := must(core.FromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3))
	w := must(core.FromSlice([]float32{1, 0, 1, 0, 1, 1}, 2, 3)) // [out, in] as in a linear layer
	wt := must(w.T())
	y := must(core.MatMul(x, wt))
	fmt.Println(wt.IsContiguous(), y.Shape(), must(y.Values()))
	// Output: false [2 2] [4 5 10 11]
}

// Softmax over the last axis; large logits do not overflow.
func ExampleSoftmax() {
	logits := must(core.FromSlice([]float64{1000, 1000, 0, 0, 0, 0}, 2, 3))
	p := must(core.Softmax(logits, -1))
	for _, v := range must(p.Values()) {
		fmt.Printf("%.4f ", v)
	}
	fmt.Println()
	// Output: 0.5000 0.5000 0.0000 0.3333 0.3333 0.3333
}

// Summing a [2,3,4] tensor over its first and last axes, with and without
// keeping the reduced axes.
func ExampleSum() {
	x := must(core.Full[int32](1, 2, 3, 4))
	s := must(core.Sum(x, false, 0, -1))
	k := must(core.Sum(x, true, 0, -1))
	fmt.Println(s.Shape(), must(s.Values()), k.Shape())
	// Output: [3] [8 8 8] [1 3 1]
}

// The type-erased entry points serve tools and backends that only hold
// *core.Array values.
func ExampleBinaryOp() {
	a := must(core.FromSlice([]float32{1, 5, 3}, 3)).Array()
	b := must(core.FromSlice([]float32{2, 2, 2}, 3)).Array()
	gt := must(core.BinaryOp("gt", a, b))
	m := must(core.BinaryOp("maximum", a, b))
	fmt.Println(gt.DType(), must(must(core.As[bool](gt)).Values()), must(must(core.As[float32](m)).Values()))
	// Output: BOOL [false true true] [2 5 3]
}

// Casting float32 to bfloat16 and to int8 (truncation, saturation).
func ExampleCast() {
	x := must(core.FromSlice([]float32{1.5, -2.7, 1000}, 3))
	b := must(core.Cast[core.BFloat16](x))
	i := must(core.Cast[int8](x))
	fmt.Println(must(b.Values())[1].Float32(), must(i.Values()))
	// Output: -2.703125 [1 -2 127]
}

// Embedding lookup: rows of a table picked by token ids.
func ExampleIndexSelect() {
	table := must(core.FromSlice([]float32{0, 0, 1, 1, 2, 2}, 3, 2))
	ids := must(core.FromSlice([]int32{2, 0, 2}, 3))
	e := must(core.IndexSelect(table, 0, ids))
	fmt.Println(e.Shape(), must(e.Values()))
	// Output: [3 2] [2 2 0 0 2 2]
}
