package cuda_test

import (
	"fmt"

	"github.com/lbrx/lbrx/core"
	_ "github.com/lbrx/lbrx/cuda" // registers cuda:0, cuda:1, ... (or "cuda", unavailable, with the reason)
)

// Importing the package registers every GPU with core; a tensor moves to
// one with To and ops on it run there.
func Example() {
	dev, err := core.Lookup("cuda")
	if err != nil {
		fmt.Println(err)
		return
	}
	if st := dev.Status(); !st.Available {
		fmt.Println("CUDA unavailable:", st.Reason)
		return
	}
	x, err := core.FromSlice([]float32{1, 2, 3, 4}, 2, 2)
	if err != nil {
		fmt.Println(err)
		return
	}
	g, err := x.To(dev)
	if err != nil {
		fmt.Println(err)
		return
	}
	back, err := g.To(core.CPU())
	if err != nil {
		fmt.Println(err)
		return
	}
	v, err := back.Values()
	fmt.Println(v, err)
}
