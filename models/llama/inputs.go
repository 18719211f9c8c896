package llama

import (
	"encoding/binary"
	"math"

	"github.com/lbrx/lbrx/core"
)

// inputView is one input array of a recorded step: where to store it,
// its dtype and its shape.
type inputView struct {
	dst   **core.Array
	dt    core.DType
	shape core.Shape
}

// allocInputs allocates on dev one buffer holding every view, each
// 16-byte aligned, sets each view's array, and returns the buffer with a
// host image of it: a recorded step writes its inputs into the image and
// uploads it whole, one copy per step, to addresses the graph keeps.
func allocInputs(dev core.Device, views []inputView) (core.Storage, []byte, error) {
	offs := make([]int, len(views))
	size := 0
	for i, v := range views {
		offs[i] = size
		size += (v.shape.NumElements()*v.dt.Size() + 15) &^ 15
	}
	in, err := dev.Alloc(size)
	if err != nil {
		return nil, nil, err
	}
	for i, v := range views {
		if *v.dst, err = core.NewArray(v.dt, v.shape, in, offs[i]/v.dt.Size()); err != nil {
			return nil, nil, err
		}
	}
	return in, make([]byte, size), nil
}

// putAngles writes the rope tables of r's arrays for row i at position
// pos[i] into buf, the host image of the buffer they view.
func putAngles(buf []byte, r rotary, inv []float32, pos []int) {
	for i, p := range pos {
		cv, sv := angles(inv, p, 1)
		for j := range cv {
			binary.LittleEndian.PutUint32(buf[(r.cos.Offset()+i*len(inv)+j)*4:], math.Float32bits(cv[j]))
			binary.LittleEndian.PutUint32(buf[(r.sin.Offset()+i*len(inv)+j)*4:], math.Float32bits(sv[j]))
		}
	}
}
