package core

import (
	"fmt"
	"math"

	"github.com/lbrx/lbrx/core/internal/vec"
)

// Elementwise binary arithmetic with numpy broadcasting.
//
// Integer semantics: add, sub, mul and pow wrap around in two's
// complement like Go's operators; div truncates toward zero and x/0 is 0
// (no panic, no error: a tensor op cannot stop at one element); pow with
// a negative exponent is 1/x^-e truncated (0 unless |x| is 1). Float
// maximum/minimum propagate NaN like numpy. f16/bf16 compute in float32
// and round once.

var binaryNames = []string{"add", "sub", "mul", "div", "maximum", "minimum", "pow"}

func init() {
	for _, n := range binaryNames {
		registerCPU(n, cpuBinary)
	}
}

// BinaryOp runs the elementwise op name ("add", "sub", "mul", "div",
// "maximum", "minimum", "pow", or a comparison "eq", "ne", "lt", "le",
// "gt", "ge" whose result is Bool) on a and b, broadcasting them together.
func BinaryOp(name string, a, b *Array) (*Array, error) {
	if isComparison(name) {
		return compare(name, a, b)
	}
	if !isBinary(name) {
		return nil, fmt.Errorf("binary op %q is not known", name)
	}
	if err := sameDType(name, a, b); err != nil {
		return nil, err
	}
	if a.dtype == Bool {
		return nil, unsupported(name, a.dtype)
	}
	op, err := broadcastOp(name, a.dtype, a, b)
	if err != nil {
		return nil, err
	}
	return runOp(op)
}

func isBinary(name string) bool {
	for _, n := range binaryNames {
		if n == name {
			return true
		}
	}
	return false
}

func binaryT[T Numeric](name string, a, b *Tensor[T]) (*Tensor[T], error) {
	if a == nil || b == nil {
		return nil, fmt.Errorf("%s: nil operand", name)
	}
	return wrapTensor[T](BinaryOp(name, a.a, b.a))
}

// Add returns a + b elementwise, broadcasting a and b together.
func Add[T Numeric](a, b *Tensor[T]) (*Tensor[T], error) { return binaryT("add", a, b) }

// Sub returns a - b elementwise, broadcasting.
func Sub[T Numeric](a, b *Tensor[T]) (*Tensor[T], error) { return binaryT("sub", a, b) }

// Mul returns a * b elementwise, broadcasting.
func Mul[T Numeric](a, b *Tensor[T]) (*Tensor[T], error) { return binaryT("mul", a, b) }

// Div returns a / b elementwise, broadcasting. Integer division truncates
// toward zero and division by zero gives 0.
func Div[T Numeric](a, b *Tensor[T]) (*Tensor[T], error) { return binaryT("div", a, b) }

// Maximum returns the elementwise larger of a and b (NaN if either is NaN).
func Maximum[T Numeric](a, b *Tensor[T]) (*Tensor[T], error) { return binaryT("maximum", a, b) }

// Minimum returns the elementwise smaller of a and b (NaN if either is NaN).
func Minimum[T Numeric](a, b *Tensor[T]) (*Tensor[T], error) { return binaryT("minimum", a, b) }

// Pow returns a raised to b elementwise, broadcasting.
func Pow[T Numeric](a, b *Tensor[T]) (*Tensor[T], error) { return binaryT("pow", a, b) }

func cpuBinary(op *Op) error {
	op, err := alignedOp(op)
	if err != nil {
		return err
	}
	switch d := op.Inputs[0].dtype; computeType(d) {
	case F32:
		switch op.Name {
		case "add": // the SIMD kernels of core/internal/vec, exact as IEEE add/mul
			return binaryKernel(op, vec.Add)
		case "mul":
			return binaryKernel(op, vec.Mul)
		}
		return binaryKernel(op, binaryFloat[float32](op.Name))
	case F64:
		return binaryKernel(op, binaryFloat[float64](op.Name))
	case I8:
		return binaryKernel(op, binaryInt[int8](op.Name))
	case U8:
		return binaryKernel(op, binaryInt[uint8](op.Name))
	case I16:
		return binaryKernel(op, binaryInt[int16](op.Name))
	case I32:
		return binaryKernel(op, binaryInt[int32](op.Name))
	case I64:
		return binaryKernel(op, binaryInt[int64](op.Name))
	case U32:
		return binaryKernel(op, binaryInt[uint32](op.Name))
	default:
		return unsupported(op.Name, d)
	}
}

// binaryKernel applies f chunk by chunk over Out and the two inputs.
func binaryKernel[C number](op *Op, f func(o, a, b []C)) error {
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
	get, put, err := writer[C](op.Out)
	if err != nil {
		return fmt.Errorf("%s: %w", op.Name, err)
	}
	ba, bb, bo := make([]C, chunkLen), make([]C, chunkLen), make([]C, chunkLen)
	forRows([]*Array{op.Out, op.Inputs[0], op.Inputs[1]}, func(offs []int, n int, st []int) {
		for j := 0; j < n; j += chunkLen {
			c := min(chunkLen, n-j)
			av := ra(offs[1]+j*st[1], st[1], c, ba)
			bv := rb(offs[2]+j*st[2], st[2], c, bb)
			ov := get(offs[0]+j*st[0], st[0], c, bo)
			f(ov, av, bv)
			put(offs[0]+j*st[0], st[0], ov)
		}
	})
	return nil
}

// arith returns the kernels every numeric type shares: add, sub and mul
// (wrapping for integers, IEEE for floats); nil for any other op.
func arith[C number](name string) func(o, a, b []C) {
	switch name {
	case "add":
		return func(o, a, b []C) {
			for i := range o {
				o[i] = a[i] + b[i]
			}
		}
	case "sub":
		return func(o, a, b []C) {
			for i := range o {
				o[i] = a[i] - b[i]
			}
		}
	case "mul":
		return func(o, a, b []C) {
			for i := range o {
				o[i] = a[i] * b[i]
			}
		}
	}
	return nil
}

func binaryFloat[C floatC](name string) func(o, a, b []C) {
	if f := arith[C](name); f != nil {
		return f
	}
	switch name {
	case "div":
		return func(o, a, b []C) {
			for i := range o {
				o[i] = a[i] / b[i]
			}
		}
	case "maximum":
		return func(o, a, b []C) {
			for i := range o {
				x, y := a[i], b[i]
				if x > y || isNaN(x) {
					o[i] = x
				} else {
					o[i] = y
				}
			}
		}
	case "minimum":
		return func(o, a, b []C) {
			for i := range o {
				x, y := a[i], b[i]
				if x < y || isNaN(x) {
					o[i] = x
				} else {
					o[i] = y
				}
			}
		}
	case "pow":
		return func(o, a, b []C) {
			for i := range o {
				o[i] = C(math.Pow(float64(a[i]), float64(b[i])))
			}
		}
	}
	return nil
}

func binaryInt[C intC](name string) func(o, a, b []C) {
	if f := arith[C](name); f != nil {
		return f
	}
	switch name {
	case "maximum":
		return func(o, a, b []C) {
			for i := range o {
				o[i] = max(a[i], b[i])
			}
		}
	case "minimum":
		return func(o, a, b []C) {
			for i := range o {
				o[i] = min(a[i], b[i])
			}
		}
	case "div":
		return func(o, a, b []C) {
			for i := range o {
				if b[i] == 0 {
					o[i] = 0
				} else {
					o[i] = a[i] / b[i]
				}
			}
		}
	case "pow":
		return func(o, a, b []C) {
			for i := range o {
				o[i] = ipow(a[i], b[i])
			}
		}
	}
	return nil
}

// ipow raises x to the integer power e by repeated squaring, wrapping on
// overflow. A negative e gives the truncated reciprocal.
func ipow[C intC](x, e C) C {
	if e < 0 {
		switch {
		case x == 1:
			return 1
		case x+1 == 0: // x == -1 without a constant that overflows unsigned C
			if e%2 == 0 {
				return 1
			}
			return x
		default:
			return 0
		}
	}
	r := C(1)
	for e > 0 {
		if e&1 == 1 {
			r *= x
		}
		x *= x
		e >>= 1
	}
	return r
}
