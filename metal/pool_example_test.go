package metal_test

import (
	"fmt"

	"github.com/lbrx/lbrx/metal"
)

// heapBlock and heapAllocator stand in for GPU buffers.
type heapBlock []byte

func (b heapBlock) Cap() int { return len(b) }

type heapAllocator struct{}

func (heapAllocator) Allocate(n int) (metal.Block, error) { return heapBlock(make([]byte, n)), nil }
func (heapAllocator) Free(metal.Block)                    {}

// A BufferPool rounds requests to size classes and reuses returned blocks.
func ExampleBufferPool() {
	pool, err := metal.NewBufferPool(heapAllocator{}, 1<<20)
	if err != nil {
		fmt.Println(err)
		return
	}
	b, _, _ := pool.Get(1000)
	fmt.Println("class:", b.Cap())
	pool.Put(b)
	_, reused, _ := pool.Get(900)
	st := pool.Stats()
	fmt.Println("reused:", reused, "hits:", st.Hits, "misses:", st.Misses)
	// Output:
	// class: 1024
	// reused: true hits: 1 misses: 1
}
