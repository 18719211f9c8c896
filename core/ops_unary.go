package core

import (
	"fmt"
	"math"

	"github.com/lbrx/lbrx/core/internal/vec"
)

// Elementwise unary ops. Float kernels evaluate the math in float64 and
// round once to the output type, so the CPU results are the accurate
// reference other backends are compared with; the exceptions are the hot
// activations exp, silu and gelu_tanh on f32/f16/bf16, which run the SIMD
// kernels of core/internal/vec (within 2 ulp in float32). Signed integers support
// neg, abs (for both, the most negative value wraps to itself) and relu;
// unsigned integers abs and relu (both the identity); every other unary op
// is float-only and an integer dtype is an error naming op and dtype.

var unaryNames = []string{"neg", "abs", "exp", "log", "sqrt", "rsqrt", "sin", "cos", "tanh", "sigmoid", "relu", "gelu", "gelu_tanh", "silu"}

func init() {
	for _, n := range unaryNames {
		registerCPU(n, cpuUnary)
	}
}

// UnaryOp runs the elementwise op name (see unary function docs: "neg",
// "abs", "exp", "log", "sqrt", "rsqrt", "sin", "cos", "tanh", "sigmoid",
// "relu", "gelu", "gelu_tanh", "silu") on a.
func UnaryOp(name string, a *Array) (*Array, error) {
	known := false
	for _, n := range unaryNames {
		known = known || n == name
	}
	if !known {
		return nil, fmt.Errorf("unary op %q is not known", name)
	}
	if a == nil {
		return nil, fmt.Errorf("%s: nil operand", name)
	}
	if !unarySupports(name, a.dtype) {
		return nil, unsupported(name, a.dtype)
	}
	op, err := broadcastOp(name, a.dtype, a)
	if err != nil {
		return nil, err
	}
	return runOp(op)
}

func unarySupports(name string, d DType) bool {
	switch {
	case d.IsFloat():
		return true
	case d == I8 || d == I16 || d == I32 || d == I64:
		return name == "neg" || name == "abs" || name == "relu"
	case d.IsInteger():
		return name == "abs" || name == "relu"
	}
	return false
}

func unaryT[T Numeric](name string, a *Tensor[T]) (*Tensor[T], error) {
	if a == nil {
		return nil, fmt.Errorf("%s: nil operand", name)
	}
	return wrapTensor[T](UnaryOp(name, a.a))
}

// Neg returns -x (signed integers and floats).
func Neg[T Numeric](x *Tensor[T]) (*Tensor[T], error) { return unaryT("neg", x) }

// Abs returns |x|.
func Abs[T Numeric](x *Tensor[T]) (*Tensor[T], error) { return unaryT("abs", x) }

// Relu returns max(x, 0).
func Relu[T Numeric](x *Tensor[T]) (*Tensor[T], error) { return unaryT("relu", x) }

// Exp returns e^x.
func Exp[T Float](x *Tensor[T]) (*Tensor[T], error) { return unaryT("exp", x) }

// Log returns the natural logarithm of x.
func Log[T Float](x *Tensor[T]) (*Tensor[T], error) { return unaryT("log", x) }

// Sqrt returns the square root of x.
func Sqrt[T Float](x *Tensor[T]) (*Tensor[T], error) { return unaryT("sqrt", x) }

// Rsqrt returns 1/sqrt(x).
func Rsqrt[T Float](x *Tensor[T]) (*Tensor[T], error) { return unaryT("rsqrt", x) }

// Sin returns the sine of x (radians).
func Sin[T Float](x *Tensor[T]) (*Tensor[T], error) { return unaryT("sin", x) }

// Cos returns the cosine of x (radians).
func Cos[T Float](x *Tensor[T]) (*Tensor[T], error) { return unaryT("cos", x) }

// Tanh returns the hyperbolic tangent of x.
func Tanh[T Float](x *Tensor[T]) (*Tensor[T], error) { return unaryT("tanh", x) }

// Sigmoid returns 1/(1+e^-x), evaluated without overflow for large |x|.
func Sigmoid[T Float](x *Tensor[T]) (*Tensor[T], error) { return unaryT("sigmoid", x) }

// Gelu returns x·Φ(x) = 0.5·x·(1+erf(x/√2)), the exact GELU.
func Gelu[T Float](x *Tensor[T]) (*Tensor[T], error) { return unaryT("gelu", x) }

// GeluTanh returns the tanh approximation of GELU:
// 0.5·x·(1+tanh(√(2/π)·(x+0.044715·x³))).
func GeluTanh[T Float](x *Tensor[T]) (*Tensor[T], error) { return unaryT("gelu_tanh", x) }

// Silu returns x·sigmoid(x).
func Silu[T Float](x *Tensor[T]) (*Tensor[T], error) { return unaryT("silu", x) }

func cpuUnary(op *Op) error {
	op, err := alignedOp(op)
	if err != nil {
		return err
	}
	d := op.Inputs[0].dtype
	if !unarySupports(op.Name, d) {
		return unsupported(op.Name, d)
	}
	switch computeType(d) {
	case F32:
		if f := vecUnary[op.Name]; f != nil {
			return unaryKernel(op, f)
		}
		return unaryKernel(op, unaryFloat[float32](op.Name))
	case F64:
		return unaryKernel(op, unaryFloat[float64](op.Name))
	case I8:
		return unaryKernel(op, unaryInt[int8](op.Name))
	case U8:
		return unaryKernel(op, unaryInt[uint8](op.Name))
	case I16:
		return unaryKernel(op, unaryInt[int16](op.Name))
	case I32:
		return unaryKernel(op, unaryInt[int32](op.Name))
	case I64:
		return unaryKernel(op, unaryInt[int64](op.Name))
	case U32:
		return unaryKernel(op, unaryInt[uint32](op.Name))
	}
	return unsupported(op.Name, d)
}

// vecUnary holds the SIMD float32 kernels (core/internal/vec: AVX-512 or
// AVX2 on amd64, Go elsewhere) for the hot activations; they are within 2
// ulp of the float64-evaluated reference the other ops use. f16 and bf16
// compute in float32 and go through them too.
var vecUnary = map[string]func(o, a []float32){
	"exp":       vec.Exp,
	"silu":      vec.SiLU,
	"gelu_tanh": vec.GELU,
}

func unaryKernel[C number](op *Op, f func(o, a []C)) error {
	if f == nil {
		return fmt.Errorf("%s: no CPU kernel", op.Name)
	}
	ra, err := reader[C](op.Inputs[0])
	if err != nil {
		return fmt.Errorf("%s: %w", op.Name, err)
	}
	get, put, err := writer[C](op.Out)
	if err != nil {
		return fmt.Errorf("%s: %w", op.Name, err)
	}
	ba, bo := make([]C, chunkLen), make([]C, chunkLen)
	forRows([]*Array{op.Out, op.Inputs[0]}, func(offs []int, n int, st []int) {
		for j := 0; j < n; j += chunkLen {
			c := min(chunkLen, n-j)
			av := ra(offs[1]+j*st[1], st[1], c, ba)
			ov := get(offs[0]+j*st[0], st[0], c, bo)
			f(ov, av)
			put(offs[0]+j*st[0], st[0], ov)
		}
	})
	return nil
}

// mapFloat lifts a float64 function to a chunk function in C.
func mapFloat[C floatC](g func(float64) float64) func(o, a []C) {
	return func(o, a []C) {
		for i := range o {
			o[i] = C(g(float64(a[i])))
		}
	}
}

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

func unaryFloat[C floatC](name string) func(o, a []C) {
	switch name {
	case "neg":
		return func(o, a []C) {
			for i := range o {
				o[i] = -a[i]
			}
		}
	case "abs":
		return mapFloat[C](math.Abs)
	case "relu":
		return func(o, a []C) {
			for i := range o {
				// NaN stays NaN: only a definite negative becomes 0.
				if a[i] < 0 {
					o[i] = 0
				} else {
					o[i] = a[i]
				}
			}
		}
	case "exp":
		return mapFloat[C](math.Exp)
	case "log":
		return mapFloat[C](math.Log)
	case "sqrt":
		return mapFloat[C](math.Sqrt)
	case "rsqrt":
		return mapFloat[C](func(x float64) float64 { return 1 / math.Sqrt(x) })
	case "sin":
		return mapFloat[C](math.Sin)
	case "cos":
		return mapFloat[C](math.Cos)
	case "tanh":
		return mapFloat[C](math.Tanh)
	case "sigmoid":
		return mapFloat[C](sigmoid)
	case "silu":
		return mapFloat[C](func(x float64) float64 { return x * sigmoid(x) })
	case "gelu":
		return mapFloat[C](func(x float64) float64 { return 0.5 * x * (1 + math.Erf(x/math.Sqrt2)) })
	case "gelu_tanh":
		const c = 0.7978845608028654 // sqrt(2/pi)
		return mapFloat[C](func(x float64) float64 { return 0.5 * x * (1 + math.Tanh(c*(x+0.044715*x*x*x))) })
	}
	return nil
}

func unaryInt[C intC](name string) func(o, a []C) {
	switch name {
	case "neg":
		return func(o, a []C) {
			for i := range o {
				o[i] = -a[i]
			}
		}
	case "abs":
		return func(o, a []C) {
			for i := range o {
				if a[i] < 0 {
					o[i] = -a[i]
				} else {
					o[i] = a[i]
				}
			}
		}
	case "relu":
		return func(o, a []C) {
			for i := range o {
				o[i] = max(a[i], 0)
			}
		}
	}
	return nil
}
