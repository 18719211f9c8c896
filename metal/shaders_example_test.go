package metal_test

import (
	"fmt"
	"strings"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/metal"
)

// A matmul launch: the params struct goes to setBytes at buffer 3, the
// launch gives the grid, the threadgroup shape and threadgroup memory.
func ExampleMatmulLaunch() {
	p := metal.MatmulParams{M: 100, N: 70, K: 64, Batch: 1, LDA: 64, LDB: 70, LDC: 70}
	l := metal.MatmulLaunch(&p, true)
	name, _ := metal.KernelName("matmul_simd", "f16")
	fmt.Println(name, l.Groups, l.Threads, l.ThreadgroupMem, len(p.Bytes()))
	// Output: matmul_simd_f16 {3 4 1} {128 1 1} 9472 48
}

// An empty output is never dispatched.
func ExampleLaunch_Empty() {
	fmt.Println(metal.ElementwiseLaunch(0, 0).Empty(), metal.ElementwiseLaunch(300, 256).Groups)
	// Output: true {2 1 1}
}

// Load picks the embedded metallib when its manifest matches the embedded
// sources, and the sources otherwise.
func ExampleLoad() {
	lib, err := metal.Load()
	if err != nil {
		fmt.Println(err)
		return
	}
	// Either the metallib is used, or Reason says why not; Source is
	// always there for the run-time compile.
	fmt.Println(strings.Contains(lib.Source, "LBRX_MATMUL(f32"), (lib.Metallib != nil) == (lib.Reason == ""))
	// Output: true true
}

// Plan shows what the Metal backend dispatches for an op, on any OS.
func ExamplePlan() {
	a, _ := core.Zeros[float32](300)
	b, _ := core.Zeros[float32](300)
	out, _ := core.Zeros[float32](300)
	op := &core.Op{Name: "add", Inputs: []*core.Array{a.Array(), b.Array()}, Out: out.Array()}
	plan, err := metal.Plan(op, false, 1024, 32)
	if err != nil {
		fmt.Println(err)
		return
	}
	for i := range plan {
		d := &plan[i]
		fmt.Println(d.Kernel, d.Launch.Groups, d.Launch.Threads, len(d.Buffers), d.ParamIndex)
	}
	// Output: binary_add_f32 {2 1 1} {256 1 1} 3 3
}
