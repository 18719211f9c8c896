package main

import (
	"fmt"
	"math"

	"github.com/lbrx/lbrx/metal"
)

// layout is a strided view: the output shape, the input's strides and offset.
type layout struct {
	shape   []int
	strides []int
	offset  int
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// index of output element i in the strided input.
func (l layout) index(i int) int {
	idx := l.offset
	for d := len(l.shape) - 1; d >= 0; d-- {
		idx += (i % l.shape[d]) * l.strides[d]
		i /= l.shape[d]
	}
	return idx
}

// span is the number of input elements the layout reaches (negative
// strides walk down from the offset).
func (l layout) span() int {
	hi := l.offset
	for d, s := range l.shape {
		if s == 0 {
			return 0
		}
		if l.strides[d] > 0 {
			hi += (s - 1) * l.strides[d]
		}
	}
	return hi + 1
}

func contiguous(shape []int) []int {
	st := make([]int, len(shape))
	s := 1
	for d := len(shape) - 1; d >= 0; d-- {
		st[d] = s
		s *= shape[d]
	}
	return st
}

// broadcastLayout views a contiguous input of shape in as the output shape
// out (numpy broadcasting: in aligned right, size-1 dims stride 0).
func broadcastLayout(in, out []int, offset int) layout {
	st := make([]int, len(out))
	cs := contiguous(in)
	for d := range out {
		j := d - (len(out) - len(in))
		if j >= 0 && in[j] != 1 {
			st[d] = cs[j]
		}
	}
	return layout{shape: out, strides: st, offset: offset}
}

// elementwiseCase is one input configuration: the output shape and each
// input's layout (the inputs are sized to their span).
type elementwiseCase struct {
	name    string
	a, b    layout
	threads int
}

func elementwiseCases() []elementwiseCase {
	bc := func(name string, a, b, out []int, threads int) elementwiseCase {
		return elementwiseCase{name, broadcastLayout(a, out, 0), broadcastLayout(b, out, 0), threads}
	}
	return []elementwiseCase{
		bc("scalar", nil, nil, nil, 64),
		bc("1", []int{1}, []int{1}, []int{1}, 256),
		bc("odd 7", []int{7}, []int{7}, []int{7}, 32),
		bc("tail 300", []int{300}, []int{300}, []int{300}, 256),
		bc("row broadcast", []int{3, 5}, []int{5}, []int{3, 5}, 64),
		bc("both broadcast", []int{2, 1, 4}, []int{3, 1}, []int{2, 3, 4}, 256),
		bc("rank 8", []int{2, 1, 2, 1, 2, 1, 2, 3}, []int{1, 3, 1, 1, 2, 1, 1, 3}, []int{2, 3, 2, 1, 2, 1, 2, 3}, 128),
		{"transposed, offset", layout{[]int{3, 5}, []int{1, 3}, 2}, layout{[]int{3, 5}, []int{7, 1}, 4}, 64},
		{"negative stride", layout{[]int{9}, []int{-1}, 8}, layout{[]int{9}, []int{2}, 1}, 32},
		bc("empty", []int{0, 3}, []int{0, 3}, []int{0, 3}, 256),
	}
}

func unaryParams(l layout) metal.UnaryParams {
	p := metal.UnaryParams{N: uint32(numel(l.shape)), Rank: uint32(len(l.shape)), Offset: uint32(l.offset)}
	for d := range l.shape {
		p.Shape[d] = uint32(l.shape[d])
		p.Strides[d] = int32(l.strides[d])
	}
	return p
}

func binaryParams(a, b layout) metal.BinaryParams {
	p := metal.BinaryParams{N: uint32(numel(a.shape)), Rank: uint32(len(a.shape)),
		AOffset: uint32(a.offset), BOffset: uint32(b.offset)}
	for d := range a.shape {
		p.Shape[d] = uint32(a.shape[d])
		p.AStrides[d] = int32(a.strides[d])
		p.BStrides[d] = int32(b.strides[d])
	}
	return p
}

var binaryRef = map[string]func(a, b float64) float64{
	"add": func(a, b float64) float64 { return a + b },
	"sub": func(a, b float64) float64 { return a - b },
	"mul": func(a, b float64) float64 { return a * b },
	"div": func(a, b float64) float64 { return a / b },
	"maximum": func(a, b float64) float64 {
		if math.IsNaN(a) || math.IsNaN(b) {
			return math.NaN()
		}
		return math.Max(a, b)
	},
	"minimum": func(a, b float64) float64 {
		if math.IsNaN(a) || math.IsNaN(b) {
			return math.NaN()
		}
		return math.Min(a, b)
	},
	"pow": math.Pow,
}

// binaryInputs draws inputs suited to op (pow: integral exponents for
// negative bases; specials where the semantics are defined).
func (c *checkCtx) binaryInputs(op string, na, nb int) ([]float32, []float32) {
	a, b := randn(c.rng, na, 2), randn(c.rng, nb, 2)
	if op == "pow" {
		for i := range b {
			if i%2 == 0 {
				b[i] = float32(math.Round(float64(b[i])))
			} else {
				a[i%na] = float32(math.Abs(float64(a[i%na])) + 0.1)
			}
		}
	}
	if op == "maximum" || op == "minimum" || op == "add" {
		if na > 3 {
			a[1] = float32(math.NaN())
			a[2] = float32(math.Inf(-1))
		}
	}
	return a, b
}

func checkBinary(op, dt string) checkFunc {
	return func(c *checkCtx, name string) error {
		cases := elementwiseCases()
		for i := range cases {
			ec := &cases[i]
			n := numel(ec.a.shape)
			a, b := c.binaryInputs(op, max(ec.a.span(), 1), max(ec.b.span(), 1))
			a, b = roundTo(dt, a), roundTo(dt, b)
			p := binaryParams(ec.a, ec.b)
			l := metal.ElementwiseLaunch(n, ec.threads)
			want := make([]float64, n)
			for i := range want {
				want[i] = binaryRef[op](float64(a[ec.a.index(i)]), float64(b[ec.b.index(i)]))
				want[i] = float64(roundTo(dt, []float32{float32(want[i])})[0])
			}
			out, err := c.dispatch(name, l, []buf{{0, encode(dt, a)}, {1, encode(dt, b)}, {2, poison(dt, n)}, {3, p.Bytes()}})
			if err != nil {
				return fmt.Errorf("case %s: %w", ec.name, err)
			}
			if out == nil {
				continue
			}
			tol := tolFor(dt)
			if op == "pow" && dt == "f32" {
				tol.rel = 4e-6
			}
			if err := compare(decode(dt, out[2]), want, nil, tol); err != nil {
				return fmt.Errorf("case %s: %w", ec.name, err)
			}
		}
		return nil
	}
}

var unaryRef = map[string]func(x float64) float64{
	"neg":   func(x float64) float64 { return -x },
	"abs":   math.Abs,
	"exp":   math.Exp,
	"log":   math.Log,
	"sqrt":  math.Sqrt,
	"rsqrt": func(x float64) float64 { return 1 / math.Sqrt(x) },
	"sin":   math.Sin,
	"cos":   math.Cos,
	"tanh":  math.Tanh,
	"sigmoid": func(x float64) float64 {
		return 1 / (1 + math.Exp(-x))
	},
	"relu": func(x float64) float64 {
		if x > 0 || math.IsNaN(x) {
			return x
		}
		return 0
	},
	"gelu": func(x float64) float64 { return 0.5 * x * math.Erfc(-x/math.Sqrt2) },
	"gelu_tanh": func(x float64) float64 {
		return 0.5 * x * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(x+0.044715*x*x*x)))
	},
	"silu": func(x float64) float64 { return x / (1 + math.Exp(-x)) },
}

func (c *checkCtx) unaryInputs(op string, n int) []float32 {
	switch op {
	case "log", "sqrt", "rsqrt":
		return uniform(c.rng, n, 0.01, 50)
	case "sin", "cos":
		return uniform(c.rng, n, -10, 10)
	case "exp":
		return uniform(c.rng, n, -20, 20)
	default:
		return randn(c.rng, n, 3)
	}
}

func checkUnary(op, dt string) checkFunc {
	return func(c *checkCtx, name string) error {
		cases := elementwiseCases()
		for i := range cases {
			ec := &cases[i]
			n := numel(ec.a.shape)
			x := roundTo(dt, c.unaryInputs(op, max(ec.a.span(), 1)))
			p := unaryParams(ec.a)
			want := make([]float64, n)
			mag := make([]float64, n)
			for i := range want {
				v := float64(x[ec.a.index(i)])
				want[i] = float64(roundTo(dt, []float32{float32(unaryRef[op](v))})[0])
				mag[i] = math.Abs(want[i])
				if op == "sin" || op == "cos" {
					mag[i] = 1 // absolute error near the zeros
				}
			}
			out, err := c.dispatch(name, metal.ElementwiseLaunch(n, ec.threads),
				[]buf{{0, encode(dt, x)}, {1, poison(dt, n)}, {2, p.Bytes()}})
			if err != nil {
				return fmt.Errorf("case %s: %w", ec.name, err)
			}
			if out == nil {
				continue
			}
			if err := compare(decode(dt, out[1]), want, mag, tolFor(dt)); err != nil {
				return fmt.Errorf("case %s: %w", ec.name, err)
			}
		}
		return nil
	}
}

// checkCast requires bit-exact results: widen exactly, round to nearest
// even, keep NaN, overflow to infinity, subnormals kept.
func checkCast(from, to string) checkFunc {
	return func(c *checkCtx, name string) error {
		cases := elementwiseCases()
		for i := range cases {
			ec := &cases[i]
			n := numel(ec.a.shape)
			x := randn(c.rng, max(ec.a.span(), 1), 100)
			specials := []float32{0, float32(math.Copysign(0, -1)), float32(math.NaN()), float32(math.Inf(1)),
				float32(math.Inf(-1)), 70000, -1e-6, 6e-8, 1e-40, 3.3895314e38, 1.0009765625, 1.00048828125}
			for i := range x {
				if i%3 == 0 {
					x[i] = specials[(i/3)%len(specials)]
				}
			}
			x = roundTo(from, x)
			p := unaryParams(ec.a)
			out, err := c.dispatch(name, metal.ElementwiseLaunch(n, ec.threads),
				[]buf{{0, encode(from, x)}, {1, poison(to, n)}, {2, p.Bytes()}})
			if err != nil {
				return fmt.Errorf("case %s: %w", ec.name, err)
			}
			if out == nil {
				continue
			}
			got := decode(to, out[1])
			for i := range n {
				w := roundTo(to, []float32{x[ec.a.index(i)]})[0]
				if math.Float32bits(w) != math.Float32bits(got[i]) && !(w != w && got[i] != got[i]) {
					return fmt.Errorf("case %s: element %d: %v -> got %v, want %v", ec.name, i, x[ec.a.index(i)], got[i], w)
				}
			}
		}
		return nil
	}
}
