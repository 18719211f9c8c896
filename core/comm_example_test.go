package core_test

import (
	"context"
	"fmt"
	"sync"

	"github.com/lbrx/lbrx/core"
)

// Two CPU ranks sum their arrays: each rank's goroutine calls the same
// collective with its own array and gets the same result.
func ExampleLocalGroup() {
	g, err := core.NewLocalGroup(core.CPU(), core.CPU())
	if err != nil {
		panic(err)
	}
	sums := make([][]float32, g.Size())
	var wg sync.WaitGroup
	for r := range g.Size() {
		wg.Go(func() {
			c, err := g.Rank(r)
			if err != nil {
				panic(err)
			}
			x, err := core.FromSlice([]float32{float32(r + 1), 10}, 2)
			if err != nil {
				panic(err)
			}
			s, err := c.AllReduceSum(context.Background(), x.Array())
			if err != nil {
				panic(err)
			}
			t, err := core.As[float32](s)
			if err != nil {
				panic(err)
			}
			sums[r], err = t.Values()
			if err != nil {
				panic(err)
			}
		})
	}
	wg.Wait()
	fmt.Println(sums)
	// Output: [[3 20] [3 20]]
}
