package metal_test

import (
	"fmt"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/metal"
)

// The seed design's end-to-end path: a CPU tensor moves to the GPU,
// MetalMatMul multiplies there, and the result comes back. On a system
// without Metal, DefaultContext says why.
func ExampleMatMul_ComputeF32() {
	ctx, err := metal.DefaultContext()
	if err != nil {
		fmt.Println("no GPU:", err)
		return
	}
	a, _ := core.FromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	b, _ := core.FromSlice([]float32{1, 0, 0, 1, 1, 1}, 3, 2)
	mm, err := metal.NewMatMul(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err := mm.ComputeF32(a, b) // operands move to the GPU first
	if err != nil {
		fmt.Println(err)
		return
	}
	host, err := c.To(core.CPU()) // waits for the GPU
	if err != nil {
		fmt.Println(err)
		return
	}
	v, _ := host.Values()
	fmt.Println(v)
}

// Ops on tensors that live on the "metal" device run there when a kernel
// exists and on the CPU (counted in core.Fallbacks) otherwise.
func ExampleDefaultContext() {
	ctx, err := metal.DefaultContext()
	if err != nil {
		fmt.Println("no GPU:", err)
		return
	}
	info := ctx.Info()
	fmt.Println(info.Name, "unified memory:", info.UnifiedMemory, "kernels:", info.Library)
}
