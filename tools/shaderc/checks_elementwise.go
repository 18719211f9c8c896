package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/lbrx/lbrx/core"
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
func broadcastLayout(in, out []int) layout {
	st := make([]int, len(out))
	cs := contiguous(in)
	for d := range out {
		j := d - (len(out) - len(in))
		if j >= 0 && in[j] != 1 {
			st[d] = cs[j]
		}
	}
	return layout{shape: out, strides: st}
}

// elementwiseCase is one input configuration: the output shape and each
// input's layout (the inputs are sized to their span).
type elementwiseCase struct {
	name    string
	a, b    layout
	threads int
	// aShape, bShape: the inputs' own shapes for broadcast cases, given to
	// core as they are so that core's broadcasting is the reference; nil
	// for views, whose logical elements are gathered instead.
	aShape, bShape []int
	bcast          bool
}

// elementwiseCases are fixed edge cases plus two random broadcast shapes
// drawn from r.
func elementwiseCases(r *rand.Rand) []elementwiseCase {
	bc := func(name string, a, b, out []int, threads int) elementwiseCase {
		return elementwiseCase{name: name, a: broadcastLayout(a, out), b: broadcastLayout(b, out), threads: threads,
			aShape: a, bShape: b, bcast: true}
	}
	return []elementwiseCase{
		bc("scalar", nil, nil, nil, 64),
		bc("1", []int{1}, []int{1}, []int{1}, 256),
		bc("odd 7", []int{7}, []int{7}, []int{7}, 32),
		bc("tail 300", []int{300}, []int{300}, []int{300}, 256),
		bc("row broadcast", []int{3, 5}, []int{5}, []int{3, 5}, 64),
		bc("both broadcast", []int{2, 1, 4}, []int{3, 1}, []int{2, 3, 4}, 256),
		bc("rank 8", []int{2, 1, 2, 1, 2, 1, 2, 3}, []int{1, 3, 1, 1, 2, 1, 1, 3}, []int{2, 3, 2, 1, 2, 1, 2, 3}, 128),
		{name: "transposed, offset", a: layout{[]int{3, 5}, []int{1, 3}, 2}, b: layout{[]int{3, 5}, []int{7, 1}, 4}, threads: 64},
		{name: "negative stride", a: layout{[]int{9}, []int{-1}, 8}, b: layout{[]int{9}, []int{2}, 1}, threads: 32},
		bc("empty", []int{0, 3}, []int{0, 3}, []int{0, 3}, 256),
		randomBroadcast(r), randomBroadcast(r),
	}
}

// randomBroadcast draws an output shape of rank 1..4 (dims 1..9) and input
// shapes that broadcast to it (leading dims dropped, dims set to 1).
func randomBroadcast(r *rand.Rand) elementwiseCase {
	out := make([]int, 1+r.IntN(4))
	for i := range out {
		out[i] = 1 + r.IntN(9)
	}
	in := func(s []int) []int {
		s = slices.Clone(s)
		for i := range s {
			if r.IntN(3) == 0 {
				s[i] = 1
			}
		}
		return s
	}
	// a has the full rank, b a random suffix; each output dim comes from
	// at least one of them.
	a, b := in(out), in(out[r.IntN(len(out)):])
	for i := range out {
		j := i - (len(out) - len(b))
		if a[i] == 1 && (j < 0 || b[j] == 1) {
			a[i] = out[i]
		}
	}
	threads := 32 * (1 + r.IntN(8))
	return elementwiseCase{name: fmt.Sprintf("random %v with %v -> %v", a, b, out), a: broadcastLayout(a, out),
		b: broadcastLayout(b, out), threads: threads, aShape: a, bShape: b, bcast: true}
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
		cases := elementwiseCases(c.rng)
		for i := range cases {
			ec := &cases[i]
			n := numel(ec.a.shape)
			a, b := c.binaryInputs(op, max(ec.a.span(), 1), max(ec.b.span(), 1))
			a, b = roundTo(dt, a), roundTo(dt, b)
			p := binaryParams(ec.a, ec.b)
			l := metal.ElementwiseLaunch(n, ec.threads)
			want, err := binaryReference(op, dt, ec, a, b)
			if err != nil {
				return fmt.Errorf("case %s: core reference: %w", ec.name, err)
			}
			out, err := c.dispatch(name, l, []buf{{0, encode(dt, a)}, {1, encode(dt, b)}, {2, poison(dt, n)}, {3, p.Bytes()}}, 2)
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
		cases := elementwiseCases(c.rng)
		for i := range cases {
			ec := &cases[i]
			n := numel(ec.a.shape)
			x := roundTo(dt, c.unaryInputs(op, max(ec.a.span(), 1)))
			p := unaryParams(ec.a)
			xa, err := hostArray(dt, ec.a.shape, gather(ec.a, x))
			if err != nil {
				return err
			}
			ra, err := core.UnaryOp(op, xa)
			if err != nil {
				return fmt.Errorf("case %s: core reference: %w", ec.name, err)
			}
			want, err := arrayValues(dt, ra)
			if err != nil {
				return err
			}
			mag := make([]float64, n)
			for i := range want {
				mag[i] = math.Abs(want[i])
				if op == "sin" || op == "cos" {
					mag[i] = 1 // absolute error near the zeros
				}
			}
			out, err := c.dispatch(name, metal.ElementwiseLaunch(n, ec.threads),
				[]buf{{0, encode(dt, x)}, {1, poison(dt, n)}, {2, p.Bytes()}}, 1)
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
		cases := elementwiseCases(c.rng)
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
			xa, err := hostArray(from, ec.a.shape, gather(ec.a, x))
			if err != nil {
				return err
			}
			ra, err := core.CastOp(xa, coreDType(to))
			if err != nil {
				return fmt.Errorf("case %s: core reference: %w", ec.name, err)
			}
			wb, err := ra.Bytes()
			if err != nil {
				return err
			}
			ref := decode(to, wb)
			out, err := c.dispatch(name, metal.ElementwiseLaunch(n, ec.threads),
				[]buf{{0, encode(from, x)}, {1, poison(to, n)}, {2, p.Bytes()}}, 1)
			if err != nil {
				return fmt.Errorf("case %s: %w", ec.name, err)
			}
			if out == nil {
				continue
			}
			got := decode(to, out[1])
			for i := range n {
				w := ref[i]
				if math.Float32bits(w) != math.Float32bits(got[i]) && !(w != w && got[i] != got[i]) {
					return fmt.Errorf("case %s: element %d: %v -> got %v, want %v", ec.name, i, x[ec.a.index(i)], got[i], w)
				}
			}
		}
		return nil
	}
}

// binaryReference runs core's binary op: on the inputs' own shapes for
// broadcast cases (core broadcasts), on the gathered logical elements for
// strided views.
func binaryReference(op, dt string, ec *elementwiseCase, a, b []float32) ([]float64, error) {
	as, bs := ec.a.shape, ec.b.shape
	av, bv := gather(ec.a, a), gather(ec.b, b)
	if ec.bcast {
		as, bs = ec.aShape, ec.bShape
		av, bv = a[:numel(as)], b[:numel(bs)]
	}
	aa, err := hostArray(dt, as, av)
	if err != nil {
		return nil, err
	}
	ba, err := hostArray(dt, bs, bv)
	if err != nil {
		return nil, err
	}
	r, err := core.BinaryOp(op, aa, ba)
	if err != nil {
		return nil, err
	}
	if !r.Shape().Equal(core.Shape(ec.a.shape)) {
		return nil, fmt.Errorf("core broadcast %v and %v to %v, the case says %v", as, bs, r.Shape(), ec.a.shape)
	}
	return arrayValues(dt, r)
}
