package core

// The strided copy kernel: the one op every other path (Contiguous, To,
// Values) relies on, so it lives beside the tensor model rather than with
// the math ops.

func init() { registerCPU("copy", cpuCopy) }

// cpuCopy gathers Inputs[0] (any strides, possibly broadcast) into the
// contiguous Out, moving whole elements as bytes.
func cpuCopy(op *Op) error {
	src, dst := op.Inputs[0], op.Out
	es := src.dtype.Size()
	sb := src.storage.(HostStorage).Bytes()
	db := dst.storage.(HostStorage).Bytes()[dst.offset*es:]
	n := src.NumElements()
	if n == 0 {
		return nil
	}
	if src.IsContiguous() {
		copy(db[:n*es], sb[src.offset*es:])
		return nil
	}
	forEachIndex(src.shape, src.strides, src.offset, func(i, off int) {
		copy(db[i*es:(i+1)*es], sb[off*es:(off+1)*es])
	})
	return nil
}

// forEachIndex calls f(i, off) for every element of shape in row-major
// order, where i is the linear index and off the strided storage offset.
func forEachIndex(shape Shape, strides []int, offset int, f func(i, off int)) {
	n := shape.NumElements()
	if n == 0 {
		return
	}
	rank := len(shape)
	idx := make([]int, rank)
	off := offset
	for i := range n {
		f(i, off)
		for d := rank - 1; d >= 0; d-- {
			idx[d]++
			off += strides[d]
			if idx[d] < shape[d] {
				break
			}
			off -= strides[d] * shape[d]
			idx[d] = 0
		}
	}
}
