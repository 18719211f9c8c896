package core

import (
	"fmt"
	"math"
)

// softmax and log_softmax along one axis, numerically stable: the row's
// maximum is subtracted before exponentiating, and the sum of exponentials
// is accumulated in float64. A row whose maximum is infinite gives NaN
// (as in PyTorch and numpy).
//
// Op convention: Inputs[0] is x, Axes holds the one normalised axis, Out
// has x's shape and dtype.

func init() {
	registerCPU("softmax", cpuSoftmax)
	registerCPU("log_softmax", cpuSoftmax)
}

// SoftmaxOp runs "softmax" or "log_softmax" of x along axis.
func SoftmaxOp(name string, x *Array, axis int) (*Array, error) {
	if name != "softmax" && name != "log_softmax" {
		return nil, fmt.Errorf("softmax op %q is not known", name)
	}
	if x == nil {
		return nil, fmt.Errorf("%s: nil operand", name)
	}
	if !x.dtype.IsFloat() {
		return nil, unsupported(name, x.dtype)
	}
	ax, err := Axis(axis, len(x.shape))
	if err != nil {
		return nil, fmt.Errorf("%s %v: %w", name, x.shape, err)
	}
	out, err := emptyOutput(x.Device(), x.dtype, x.shape)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return runOp(&Op{Name: name, Inputs: []*Array{x}, Out: out, Axes: []int{ax}})
}

// Softmax returns exp(x)/sum(exp(x)) along axis.
func Softmax[T Float](x *Tensor[T], axis int) (*Tensor[T], error) {
	if x == nil {
		return nil, fmt.Errorf("softmax: nil operand")
	}
	return wrapTensor[T](SoftmaxOp("softmax", x.a, axis))
}

// LogSoftmax returns x - log(sum(exp(x))) along axis.
func LogSoftmax[T Float](x *Tensor[T], axis int) (*Tensor[T], error) {
	if x == nil {
		return nil, fmt.Errorf("log_softmax: nil operand")
	}
	return wrapTensor[T](SoftmaxOp("log_softmax", x.a, axis))
}

func cpuSoftmax(op *Op) error { return floatKernel(op, softmaxKernel[float32], softmaxKernel[float64]) }

func softmaxKernel[C floatC](op *Op) error {
	if len(op.Axes) != 1 {
		return fmt.Errorf("%s: needs exactly one axis, got %v", op.Name, op.Axes)
	}
	x, out := op.Inputs[0], op.Out
	rx, err := reader[C](x)
	if err != nil {
		return fmt.Errorf("%s: %w", op.Name, err)
	}
	get, put, err := writer[C](out)
	if err != nil {
		return fmt.Errorf("%s: %w", op.Name, err)
	}
	ax := op.Axes[0]
	n, xs, os := x.shape[ax], x.strides[ax], out.strides[ax]
	rowShape := x.shape.Clone()
	rowShape[ax] = 1
	outer := newGeom(rowShape, out.strides, x.strides)
	ibuf, obuf, ebuf := make([]C, n), make([]C, n), make([]float64, n)
	logForm := op.Name == "log_softmax"
	outer.each([]int{out.offset, x.offset}, func(offs []int, m int, st []int) {
		for t := range m {
			if n == 0 {
				return
			}
			row := rx(offs[1]+t*st[1], xs, n, ibuf)
			oo := offs[0] + t*st[0]
			dst := get(oo, os, n, obuf)
			mx := math.Inf(-1)
			for _, v := range row {
				mx = math.Max(mx, float64(v)) // NaN propagates
			}
			var sum float64
			for i, v := range row {
				e := math.Exp(float64(v) - mx)
				ebuf[i] = e
				sum += e
			}
			if logForm {
				lse := mx + math.Log(sum)
				for i, v := range row {
					dst[i] = C(float64(v) - lse)
				}
			} else {
				inv := 1 / sum
				for i, e := range ebuf {
					dst[i] = C(e * inv)
				}
			}
			put(oo, os, dst)
		}
	})
	return nil
}
