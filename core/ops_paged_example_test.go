package core_test

import (
	"fmt"

	"github.com/lbrx/lbrx/core"
)

// A paged cache of 4 blocks of 2 positions (one head of size 1): row 0's
// sequence owns blocks 2 then 0, row 1 is padding. scatter_rows stores
// row 0's new key and value at its position 2 (block 0, offset 0); its
// query then attends positions 0..2, whose values are 1, 2 and 3 with
// equal keys, so it gets their mean; the padding row gets zeros.
func ExamplePagedAttentionOp() {
	k := must(core.Full[float32](1, 4, 2, 1, 1)).Array()
	v := must(core.FromSlice([]float32{0, 0, 0, 0, 1, 2, 0, 0}, 4, 2, 1, 1)).Array()
	rows := must(v.Reshape(8, 1, 1)) // the blocks as rows block*2 + offset
	kv := must(core.FromSlice([]float32{3, 9}, 2, 1, 1)).Array()
	if err := core.ScatterRowsOp(rows, kv, must(core.FromSlice([]int32{0, -1}, 2)).Array()); err != nil {
		panic(err)
	}
	q := must(core.Zeros[float32](2, 1, 1)).Array()
	table := must(core.FromSlice([]int32{2, 0, 0, 0}, 2, 2)).Array()
	pos := must(core.FromSlice([]int32{2, -1}, 2)).Array()
	out := must(core.PagedAttentionOp(q, k, v, table, pos, core.AttentionParams{Scale: 1}))
	fmt.Println(out.Shape(), must(must(core.As[float32](out)).Values()))
	// Output: [2 1 1] [2 0]
}
