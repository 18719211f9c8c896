package metal_test

import (
	"fmt"

	"github.com/lbrx/lbrx/metal"
)

// Storage is the seed design's MetalStorage<T>: typed GPU memory from the
// context's pool, filled and read from the CPU, returned with Release.
func ExampleStorage() {
	ctx, err := metal.DefaultContext()
	if err != nil {
		fmt.Println("no GPU:", err)
		return
	}
	s, err := metal.NewStorage[float32](4, ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Release()
	if err := s.CopyFromCPU([]float32{1, 2, 3, 4}); err != nil {
		fmt.Println(err)
		return
	}
	out := make([]float32, 4)
	if err := s.CopyToCPU(out); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(out)
}
