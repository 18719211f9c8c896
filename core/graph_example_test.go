package core_test

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/lbrx/lbrx/core"
)

// Record a small step once, then replay it after writing new values into
// its input in place: the graph reads its arrays anew on every replay.
func ExampleRecord() {
	x := must(core.FromSlice([]float32{1, 2, 3}, 3))
	w := must(core.FromSlice([]float32{1, 1, 1}, 3))
	var y *core.Array
	g := must(core.Record(core.CPU(), func() error {
		sq, err := core.BinaryOp("mul", x.Array(), x.Array())
		if err != nil {
			return err
		}
		y, err = core.RMSNormOp(sq, w.Array(), 0)
		return err
	}))
	fmt.Print(g)
	show := func() { fmt.Printf("%.4f\n", must(must(core.As[float32](y)).Values())) }
	show()

	b := make([]byte, 0, 12)
	for _, v := range []float32{2, 2, 2} {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
	}
	if err := core.CPU().CopyFromHost(x.Array().Storage(), 0, b); err != nil {
		panic(err)
	}
	if err := g.Replay(); err != nil {
		panic(err)
	}
	show()
	// Output:
	// graph on cpu, 2 ops
	//    0  mul([3] F32, [3] F32) -> [3] F32
	//    1  rms_norm([3] F32, [3] F32) -> [3] F32 {eps=0}
	// [0.1750 0.6999 1.5747]
	// [1.0000 1.0000 1.0000]
}
