package core

import (
	"fmt"
	"slices"
)

// gather (index-select, numpy take): picks positions of x along an axis.
// Indices are I32 or I64 of any shape; the result's shape is x's with
// that axis replaced by the indices' shape. Indices must lie in [0, n):
// negative or too-large ones are an error naming the index, its position
// and the axis size (not wrapped around), and nothing is written.
//
// Op convention: Inputs are x and the indices, Axes holds the one
// normalised axis, Out is x.shape[:axis] + indices.shape + x.shape[axis+1:].
// Kernels validate the index values, since only they see them.

func init() { registerCPU("gather", cpuGather) }

// GatherOp selects the positions idx (I32 or I64) of x along axis.
func GatherOp(x *Array, axis int, idx *Array) (*Array, error) {
	if x == nil || idx == nil {
		return nil, fmt.Errorf("gather: nil operand")
	}
	if idx.dtype != I32 && idx.dtype != I64 {
		return nil, fmt.Errorf("gather: indices %v %v must be I32 or I64", idx.dtype, idx.shape)
	}
	if x.Rank() == 0 {
		return nil, fmt.Errorf("gather: cannot index a scalar")
	}
	ax, err := Axis(axis, x.Rank())
	if err != nil {
		return nil, fmt.Errorf("gather %v: %w", x.shape, err)
	}
	dev, err := sameDevice("gather", x, idx)
	if err != nil {
		return nil, err
	}
	shape := slices.Concat(x.shape[:ax], idx.shape, x.shape[ax+1:])
	if err := shape.Validate(); err != nil {
		return nil, fmt.Errorf("gather: %w", err)
	}
	out, err := emptyOutput(dev, x.dtype, shape)
	if err != nil {
		return nil, fmt.Errorf("gather: %w", err)
	}
	return runOp(&Op{Name: "gather", Inputs: []*Array{x, idx}, Out: out, Axes: []int{ax}})
}

// IndexSelect picks the positions idx of x along axis (an embedding
// lookup is IndexSelect(table, 0, tokenIDs)).
func IndexSelect[T Element, I int32 | int64](x *Tensor[T], axis int, idx *Tensor[I]) (*Tensor[T], error) {
	if x == nil || idx == nil {
		return nil, fmt.Errorf("gather: nil operand")
	}
	return wrapTensor[T](GatherOp(x.a, axis, idx.a))
}

// readIndices returns idx's values in row-major order as int.
func readIndices(idx *Array) ([]int, error) {
	out := make([]int, 0, idx.NumElements())
	switch idx.dtype {
	case I32:
		s, err := hostSlice[int32](idx)
		if err != nil {
			return nil, err
		}
		forRows([]*Array{idx}, func(offs []int, n int, st []int) {
			for j := range n {
				out = append(out, int(s[offs[0]+j*st[0]]))
			}
		})
	case I64:
		s, err := hostSlice[int64](idx)
		if err != nil {
			return nil, err
		}
		forRows([]*Array{idx}, func(offs []int, n int, st []int) {
			for j := range n {
				v := s[offs[0]+j*st[0]]
				if int64(int(v)) != v { // only on 32-bit platforms
					v = -1
				}
				out = append(out, int(v))
			}
		})
	default:
		return nil, fmt.Errorf("indices %v must be I32 or I64", idx.dtype)
	}
	return out, nil
}

func cpuGather(op *Op) error {
	op, err := alignedOp(op)
	if err != nil {
		return err
	}
	if len(op.Axes) != 1 || len(op.Inputs) != 2 {
		return fmt.Errorf("gather: malformed op")
	}
	x, ax := op.Inputs[0], op.Axes[0]
	ids, err := readIndices(op.Inputs[1])
	if err != nil {
		return fmt.Errorf("gather: %w", err)
	}
	n := x.shape[ax]
	for i, v := range ids {
		if v < 0 || v >= n {
			return fmt.Errorf("gather: index %d (position %d of indices %v) is out of range [0, %d) for axis %d of %v", v, i, op.Inputs[1].shape, n, ax, x.shape)
		}
	}
	// View Out with the index axes flattened to one, so that each index
	// owns one slab Out[..., j, ...] shaped like x.Index(ax, v).
	flat := slices.Concat(x.shape[:ax], []int{len(ids)}, x.shape[ax+1:])
	out, err := op.Out.Reshape(flat...)
	if err != nil {
		return fmt.Errorf("gather: %w", err)
	}
	for j, v := range ids {
		src, err := x.Index(ax, v)
		if err != nil {
			return fmt.Errorf("gather: %w", err)
		}
		dst, err := out.Index(ax, j)
		if err != nil {
			return fmt.Errorf("gather: %w", err)
		}
		if err := copyElements(dst, src); err != nil {
			return fmt.Errorf("gather: %w", err)
		}
	}
	return nil
}
