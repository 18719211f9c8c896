package core

import "fmt"

// Elementwise comparisons with broadcasting; the result is Bool. Every
// dtype compares, bool as false < true. Float comparisons follow IEEE 754:
// NaN is unequal to everything, itself included.

var comparisonNames = []string{"eq", "ne", "lt", "le", "gt", "ge"}

func init() {
	for _, n := range comparisonNames {
		registerCPU(n, cpuCompare)
	}
}

func isComparison(name string) bool {
	for _, n := range comparisonNames {
		if n == name {
			return true
		}
	}
	return false
}

func compare(name string, a, b *Array) (*Array, error) {
	if err := sameDType(name, a, b); err != nil {
		return nil, err
	}
	op, err := broadcastOp(name, Bool, a, b)
	if err != nil {
		return nil, err
	}
	return runOp(op)
}

func compareT[T Element](name string, a, b *Tensor[T]) (*Tensor[bool], error) {
	if a == nil || b == nil {
		return nil, fmt.Errorf("%s: nil operand", name)
	}
	return wrapTensor[bool](compare(name, a.a, b.a))
}

// Equal returns a == b elementwise, broadcasting.
func Equal[T Element](a, b *Tensor[T]) (*Tensor[bool], error) { return compareT("eq", a, b) }

// NotEqual returns a != b elementwise, broadcasting.
func NotEqual[T Element](a, b *Tensor[T]) (*Tensor[bool], error) { return compareT("ne", a, b) }

// Less returns a < b elementwise, broadcasting.
func Less[T Element](a, b *Tensor[T]) (*Tensor[bool], error) { return compareT("lt", a, b) }

// LessEqual returns a <= b elementwise, broadcasting.
func LessEqual[T Element](a, b *Tensor[T]) (*Tensor[bool], error) { return compareT("le", a, b) }

// Greater returns a > b elementwise, broadcasting.
func Greater[T Element](a, b *Tensor[T]) (*Tensor[bool], error) { return compareT("gt", a, b) }

// GreaterEqual returns a >= b elementwise, broadcasting.
func GreaterEqual[T Element](a, b *Tensor[T]) (*Tensor[bool], error) {
	return compareT("ge", a, b)
}

func cpuCompare(op *Op) error {
	op, err := alignedOp(op)
	if err != nil {
		return err
	}
	switch d := op.Inputs[0].dtype; computeType(d) {
	case F32:
		return compareKernel[float32](op)
	case F64:
		return compareKernel[float64](op)
	case I8:
		return compareKernel[int8](op)
	case U8, Bool:
		return compareKernel[uint8](op)
	case I16:
		return compareKernel[int16](op)
	case I32:
		return compareKernel[int32](op)
	case I64:
		return compareKernel[int64](op)
	case U32:
		return compareKernel[uint32](op)
	default:
		return unsupported(op.Name, d)
	}
}

func compareKernel[C number](op *Op) error {
	f := compareFn[C](op.Name)
	if f == nil {
		return fmt.Errorf("%s: no CPU kernel", op.Name)
	}
	ra, err := reader[C](op.Inputs[0])
	if err != nil {
		return fmt.Errorf("%s: %w", op.Name, err)
	}
	rb, err := reader[C](op.Inputs[1])
	if err != nil {
		return fmt.Errorf("%s: %w", op.Name, err)
	}
	out, err := hostSlice[bool](op.Out)
	if err != nil {
		return fmt.Errorf("%s: %w", op.Name, err)
	}
	ba, bb := make([]C, chunkLen), make([]C, chunkLen)
	forRows([]*Array{op.Out, op.Inputs[0], op.Inputs[1]}, func(offs []int, n int, st []int) {
		for j := 0; j < n; j += chunkLen {
			c := min(chunkLen, n-j)
			av := ra(offs[1]+j*st[1], st[1], c, ba)
			bv := rb(offs[2]+j*st[2], st[2], c, bb)
			// Out is contiguous, so its runs have stride 1 (or are one element).
			o := offs[0] + j*st[0]
			f(out[o:o+c], av, bv)
		}
	})
	return nil
}

func compareFn[C number](name string) func(o []bool, a, b []C) {
	switch name {
	case "eq":
		return func(o []bool, a, b []C) {
			for i := range o {
				o[i] = a[i] == b[i]
			}
		}
	case "ne":
		return func(o []bool, a, b []C) {
			for i := range o {
				o[i] = a[i] != b[i]
			}
		}
	case "lt":
		return func(o []bool, a, b []C) {
			for i := range o {
				o[i] = a[i] < b[i]
			}
		}
	case "le":
		return func(o []bool, a, b []C) {
			for i := range o {
				o[i] = a[i] <= b[i]
			}
		}
	case "gt":
		return func(o []bool, a, b []C) {
			for i := range o {
				o[i] = a[i] > b[i]
			}
		}
	case "ge":
		return func(o []bool, a, b []C) {
			for i := range o {
				o[i] = a[i] >= b[i]
			}
		}
	}
	return nil
}
