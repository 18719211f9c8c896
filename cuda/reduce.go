package cuda

import (
	"fmt"
	"slices"

	"github.com/lbrx/lbrx/core"
)

// rowsOf arranges a so that the axes reduced come last and returns it as a
// contiguous [rows, cols] matrix (gathering a strided or permuted view into
// a temporary), plus the release of that temporary.
func (d *Device) rowsOf(a *core.Array, axes []int) (c *core.Array, rows, cols int, release func(), err error) {
	rank := a.Rank()
	red := make([]bool, rank)
	for _, ax := range axes {
		if ax < 0 || ax >= rank {
			return nil, 0, 0, nil, fmt.Errorf("cuda: axis %d out of range for rank %d", ax, rank)
		}
		red[ax] = true
	}
	perm := make([]int, 0, rank)
	shape := a.Shape()
	rows, cols = 1, 1
	for i := range rank {
		if !red[i] {
			perm = append(perm, i)
			rows *= shape[i]
		}
	}
	for i := range rank {
		if red[i] {
			perm = append(perm, i)
			cols *= shape[i]
		}
	}
	p := a
	if !slices.IsSorted(perm) {
		if p, err = a.Permute(perm...); err != nil {
			return nil, 0, 0, nil, err
		}
	}
	c, release, err = d.contiguous(p)
	return c, rows, cols, release, err
}

// blockFor is the block size for a row of cols elements: a warp for short
// rows, up to 256 threads for long ones.
func blockFor(cols int) int {
	b := 32
	for b < 256 && b < cols {
		b *= 2
	}
	return b
}

func (d *Device) reduce(op *core.Op) error {
	if len(op.Inputs) != 1 {
		return fmt.Errorf("cuda: %s takes 1 input, got %d", op.Name, len(op.Inputs))
	}
	a, out := op.Inputs[0], op.Out
	dt := a.DType()
	if !dt.IsFloat() {
		return unsupported(op, "dtype %v (float kernels only)", dt)
	}
	axes := op.Axes
	if len(axes) == 0 { // no axes listed: reduce everything
		axes = make([]int, a.Rank())
		for i := range axes {
			axes[i] = i
		}
	}
	c, rows, cols, release, err := d.rowsOf(a, axes)
	if err != nil {
		return err
	}
	defer release()
	if out.NumElements() != rows {
		return fmt.Errorf("cuda: %s of %v over axes %v: output %v has %d elements, want %d", op.Name, a, op.Axes, out.Shape(), out.NumElements(), rows)
	}
	if rows == 0 {
		return nil
	}
	if cols == 0 {
		return unsupported(op, "empty reduction (identity values are core's to define)")
	}
	name := op.Name + "_" + suffix(dt)
	switch op.Name {
	case "argmax", "argmin":
		if out.DType() != core.I64 && out.DType() != core.I32 {
			return unsupported(op, "index dtype %v", out.DType())
		}
		name += "_" + suffix(out.DType())
	default:
		if out.DType() != dt {
			return unsupported(op, "output dtype %v for input %v", out.DType(), dt)
		}
	}
	args := (&kargs{}).ptr(dataPtr(c)).ptr(dataPtr(out)).i64(cols)
	if op.Name == "var" {
		args.f64(op.Param)
	}
	block := blockFor(cols)
	if (op.Name == "argmax" || op.Name == "argmin") && rows < d.sms && cols >= 8192 {
		// A decode step's argmax over the vocabulary: one row, and a block
		// of 256 threads would walk it in a long chain of loads. The
		// result is the first extreme index whatever the block size.
		block = 1024
	}
	return d.launch("reduce", dt, name, rows, block, args)
}

func (d *Device) softmax(op *core.Op) error {
	if len(op.Inputs) != 1 {
		return fmt.Errorf("cuda: %s takes 1 input, got %d", op.Name, len(op.Inputs))
	}
	a, out := op.Inputs[0], op.Out
	if !a.DType().IsFloat() || out.DType() != a.DType() {
		return unsupported(op, "dtype %v", a.DType())
	}
	if a.Rank() == 0 || (len(op.Axes) > 0 && !slices.Equal(op.Axes, []int{a.Rank() - 1})) {
		return unsupported(op, "axes %v (the last axis only)", op.Axes)
	}
	c, rows, cols, release, err := d.rowsOf(a, []int{a.Rank() - 1})
	if err != nil {
		return err
	}
	defer release()
	if rows == 0 || cols == 0 {
		return nil
	}
	args := (&kargs{}).ptr(dataPtr(c)).ptr(dataPtr(out)).i64(cols)
	return d.launch("reduce", a.DType(), op.Name+"_"+suffix(a.DType()), rows, blockFor(cols), args)
}
