package core

import "fmt"

// where(cond, a, b): elementwise selection with broadcasting of all three.
// Selection moves whole elements, so one kernel per element size serves
// every dtype.

func init() { registerCPU("where", cpuWhere) }

// WhereOp returns cond ? a : b elementwise; cond is Bool, a and b share a
// dtype, and all three broadcast together.
func WhereOp(cond, a, b *Array) (*Array, error) {
	if cond == nil {
		return nil, fmt.Errorf("where: nil condition")
	}
	if cond.dtype != Bool {
		return nil, fmt.Errorf("where: condition %v %v must be BOOL", cond.dtype, cond.shape)
	}
	if err := sameDType("where", a, b); err != nil {
		return nil, err
	}
	op, err := broadcastOp("where", a.dtype, cond, a, b)
	if err != nil {
		return nil, err
	}
	return runOp(op)
}

// Where returns cond ? a : b elementwise, broadcasting all three.
func Where[T Element](cond *Tensor[bool], a, b *Tensor[T]) (*Tensor[T], error) {
	if cond == nil || a == nil || b == nil {
		return nil, fmt.Errorf("where: nil operand")
	}
	return wrapTensor[T](WhereOp(cond.a, a.a, b.a))
}

func cpuWhere(op *Op) error {
	op, err := alignedOp(op)
	if err != nil {
		return err
	}
	switch op.Out.dtype.Size() {
	case 1:
		return whereKernel[uint8](op)
	case 2:
		return whereKernel[Float16](op)
	case 4:
		return whereKernel[uint32](op)
	case 8:
		return whereKernel[int64](op)
	}
	return unsupported(op.Name, op.Out.dtype)
}

// whereKernel copies elements as the same-sized carrier type W: only their
// bits matter here.
func whereKernel[W Element](op *Op) error {
	// The condition is read as bytes: a BOOL tensor from a file may hold
	// any nonzero byte for true, which is not a valid Go bool.
	c, err := hostSlice[uint8](op.Inputs[0])
	if err != nil {
		return err
	}
	a, err := hostSlice[W](op.Inputs[1])
	if err != nil {
		return err
	}
	b, err := hostSlice[W](op.Inputs[2])
	if err != nil {
		return err
	}
	o, err := hostSlice[W](op.Out)
	if err != nil {
		return err
	}
	forRows([]*Array{op.Out, op.Inputs[0], op.Inputs[1], op.Inputs[2]}, func(offs []int, n int, st []int) {
		oi, ci, ai, bi := offs[0], offs[1], offs[2], offs[3]
		for range n {
			if c[ci] != 0 {
				o[oi] = a[ai]
			} else {
				o[oi] = b[bi]
			}
			oi, ci, ai, bi = oi+st[0], ci+st[1], ai+st[2], bi+st[3]
		}
	})
	return nil
}
