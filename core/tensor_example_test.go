package core_test

import (
	"fmt"

	"github.com/lbrx/lbrx/core"
)

// Views share storage: a transpose and a slice copy nothing until Values
// gathers the elements.
func ExampleTensor_views() {
	x, _ := core.FromSlice([]float32{0, 1, 2, 3, 4, 5}, 2, 3)
	xt, _ := x.T()
	col, _ := xt.Index(0, 1) // second column of x
	v, _ := col.Values()
	fmt.Println(xt.Shape(), xt.IsContiguous(), v)
	// Output: [3 2] false [1 4]
}

// DefaultDevice picks the best available backend (or LBRX_DEVICE); To moves
// a tensor there with its metadata.
func ExampleDefaultDevice() {
	dev, err := core.DefaultDevice()
	if err != nil {
		fmt.Println(err)
		return
	}
	x, _ := core.FromSlice([]float32{1, 2, 3}, 3)
	x, _ = x.WithMetadata(core.Metadata{Name: "bias"})
	d, _ := x.To(dev)
	back, _ := d.To(core.CPU())
	v, _ := back.Values()
	fmt.Println(back.Metadata().Name, v)
	// Output: bias [1 2 3]
}

// BroadcastShapes applies numpy's rules and names both shapes on failure.
func ExampleBroadcastShapes() {
	s, _ := core.BroadcastShapes(core.Shape{8, 1, 6}, core.Shape{7, 1})
	fmt.Println(s)
	_, err := core.BroadcastShapes(core.Shape{2, 3}, core.Shape{4, 3})
	fmt.Println(err)
	// Output:
	// [8 7 6]
	// shapes [2 3] and [4 3] do not broadcast: dimension -2 is 2 vs 4
}
