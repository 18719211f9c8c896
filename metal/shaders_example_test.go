package metal_test

import (
	"fmt"
	"strings"

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
