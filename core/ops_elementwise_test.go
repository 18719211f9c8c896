package core

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var binaryShapes = [][2]Shape{
	{{2, 3, 4}, {2, 3, 4}},
	{{2, 3, 4}, {4}},
	{{3, 1}, {1, 4}},
	{{}, {2, 3}},
	{{}, {}},
	{{1}, {1}},
	{{0, 3}, {3}},
	{{5, 1, 3}, {1, 4, 1}},
	{{2, 700}, {2, 700}}, // longer than one chunk
}

// refBinary is the float64 reference of each binary op; isInt selects the
// integer semantics (truncating division, 0 for x/0).
func refBinary(name string, x, y float64, isInt bool) float64 {
	switch name {
	case "add":
		return x + y
	case "sub":
		return x - y
	case "mul":
		return x * y
	case "div":
		if isInt {
			if y == 0 {
				return 0
			}
			return math.Trunc(x / y)
		}
		return x / y
	case "maximum":
		if math.IsNaN(x) || math.IsNaN(y) {
			return math.NaN()
		}
		return math.Max(x, y)
	case "minimum":
		if math.IsNaN(x) || math.IsNaN(y) {
			return math.NaN()
		}
		return math.Min(x, y)
	case "pow":
		if isInt && y < 0 {
			if x == 0 { // 1/0 is defined as 0 for integers, like x/0
				return 0
			}
			return math.Trunc(math.Pow(x, y))
		}
		return math.Pow(x, y)
	}
	panic(name)
}

func checkBinary[T Numeric](t *testing.T) {
	d := DTypeOf[T]()
	r := rand.New(rand.NewPCG(1, uint64(d)))
	fns := map[string]func(a, b *Tensor[T]) (*Tensor[T], error){
		"add": Add[T], "sub": Sub[T], "mul": Mul[T], "div": Div[T],
		"maximum": Maximum[T], "minimum": Minimum[T], "pow": Pow[T],
	}
	for opName, fn := range fns {
		for _, sh := range binaryShapes {
			for _, kind := range viewKinds {
				lo, hi := -4.0, 4.0
				blo, bhi := lo, hi
				if opName == "pow" {
					lo, hi, blo, bhi = 0.25, 3, -2, 3
					if d.IsInteger() {
						lo, hi, blo, bhi = -3, 3, -1, 4
					}
				}
				if d == U8 || d == U32 {
					lo, blo = 0, 0
				}
				av := randValues[T](r, sh[0].NumElements(), lo, hi)
				bv := randValues[T](r, sh[1].NumElements(), blo, bhi)
				a := makeView(t, av, sh[0], kind)
				b := makeView(t, bv, sh[1], kind)
				got, err := fn(a, b)
				require.NoError(t, err)
				outShape, err := BroadcastShapes(sh[0], sh[1])
				require.NoError(t, err)
				require.True(t, outShape.Equal(got.Shape()), "shape %v, want %v", got.Shape(), outShape)
				want := make([]float64, outShape.NumElements())
				walkIndex(outShape, func(lin int, idx []int) {
					x := toF64(av[bcastIndex(sh[0], idx)])
					y := toF64(bv[bcastIndex(sh[1], idx)])
					w := refBinary(opName, x, y, d.IsInteger())
					if d == U8 && w < 0 { // sub wraps
						w += 256
					}
					if d == U32 && w < 0 {
						w += 1 << 32
					}
					want[lin] = w
				})
				assertClose(t, want, valuesF64(t, got), tolFor(d), name(d, " ", opName, " ", sh, " ", kind))
			}
		}
	}
}

func TestBinaryOpsAllDTypes(t *testing.T) {
	checkBinary[float32](t)
	checkBinary[float64](t)
	checkBinary[Float16](t)
	checkBinary[BFloat16](t)
	checkBinary[int8](t)
	checkBinary[uint8](t)
	checkBinary[int16](t)
	checkBinary[int32](t)
	checkBinary[int64](t)
	checkBinary[uint32](t)
}

func TestBinaryIntegerEdgeCases(t *testing.T) {
	a, err := FromSlice([]int8{-128, 7, -7, 5, 100}, 5)
	require.NoError(t, err)
	b, err := FromSlice([]int8{-1, 0, 2, -2, 100}, 5)
	require.NoError(t, err)
	q, err := Div(a, b)
	require.NoError(t, err)
	v, err := q.Values()
	require.NoError(t, err)
	assert.Equal(t, []int8{-128, 0, -3, -2, 1}, v, "MinInt8/-1 wraps, x/0 is 0, truncation toward zero")
	s, err := Add(a, b)
	require.NoError(t, err)
	v, err = s.Values()
	require.NoError(t, err)
	assert.Equal(t, []int8{127, 7, -5, 3, -56}, v, "addition wraps")
}

func TestBinaryErrors(t *testing.T) {
	a, err := Zeros[float32](2, 3)
	require.NoError(t, err)
	b, err := Zeros[float32](4, 3)
	require.NoError(t, err)
	_, err = Add(a, b)
	require.ErrorContains(t, err, "[2 3] and [4 3]")
	c, err := Zeros[float64](2, 3)
	require.NoError(t, err)
	_, err = BinaryOp("mul", a.Array(), c.Array())
	require.ErrorContains(t, err, "F32 [2 3] and F64 [2 3]")
	_, err = BinaryOp("frobnicate", a.Array(), a.Array())
	require.ErrorContains(t, err, "frobnicate")
	bl, err := Zeros[bool](2)
	require.NoError(t, err)
	_, err = BinaryOp("add", bl.Array(), bl.Array())
	require.ErrorContains(t, err, "add: not defined for dtype BOOL")
	_, err = Add[float32](nil, a)
	require.Error(t, err)
}

func TestBinaryBroadcastInputView(t *testing.T) {
	// An input that is itself a broadcast view (stride 0) and a permuted one.
	row, err := FromSlice([]float32{1, 2, 3}, 1, 3)
	require.NoError(t, err)
	bb, err := row.BroadcastTo(4, 3)
	require.NoError(t, err)
	x, err := FromSlice(arange(12), 3, 4)
	require.NoError(t, err)
	xt, err := x.T()
	require.NoError(t, err)
	got, err := Mul(bb, xt)
	require.NoError(t, err)
	v, err := got.Values()
	require.NoError(t, err)
	for i := range 4 {
		for j := range 3 {
			assert.Equal(t, float32(j+1)*float32(j*4+i), v[i*3+j])
		}
	}
}

func refUnary(name string, x float64) float64 {
	sig := func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
	switch name {
	case "neg":
		return -x
	case "abs":
		return math.Abs(x)
	case "exp":
		return math.Exp(x)
	case "log":
		return math.Log(x)
	case "sqrt":
		return math.Sqrt(x)
	case "rsqrt":
		return 1 / math.Sqrt(x)
	case "sin":
		return math.Sin(x)
	case "cos":
		return math.Cos(x)
	case "tanh":
		return math.Tanh(x)
	case "sigmoid":
		return sig(x)
	case "relu":
		return math.Max(x, 0)
	case "gelu":
		return x * 0.5 * math.Erfc(-x/math.Sqrt2)
	case "gelu_tanh":
		return 0.5 * x * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(x+0.044715*x*x*x)))
	case "silu":
		return x * sig(x)
	}
	panic(name)
}

func checkUnary[T Numeric](t *testing.T, names []string) {
	d := DTypeOf[T]()
	r := rand.New(rand.NewPCG(2, uint64(d)))
	shapes := []Shape{{2, 3, 4}, {}, {1}, {0, 2}, {3, 700}}
	for _, opName := range names {
		for _, sh := range shapes {
			for _, kind := range viewKinds {
				lo, hi := -6.0, 6.0
				if opName == "log" || opName == "sqrt" || opName == "rsqrt" {
					lo = 0.01
				}
				if d == U8 || d == U32 {
					lo = 0
				}
				av := randValues[T](r, sh.NumElements(), lo, hi)
				x := makeView(t, av, sh, kind)
				got, err := UnaryOp(opName, x.Array())
				require.NoError(t, err)
				want := make([]float64, len(av))
				for i, v := range av {
					want[i] = refUnary(opName, toF64(v))
				}
				assertClose(t, want, valuesF64(t, mustAs[T](t, got)), tolFor(d), name(d, " ", opName, " ", sh, " ", kind))
			}
		}
	}
}

func mustAs[T Element](t *testing.T, a *Array) *Tensor[T] {
	t.Helper()
	x, err := As[T](a)
	require.NoError(t, err)
	return x
}

func TestUnaryOpsAllDTypes(t *testing.T) {
	checkUnary[float32](t, unaryNames)
	checkUnary[float64](t, unaryNames)
	checkUnary[Float16](t, unaryNames)
	checkUnary[BFloat16](t, unaryNames)
	signed := []string{"neg", "abs", "relu"}
	checkUnary[int8](t, signed)
	checkUnary[int16](t, signed)
	checkUnary[int32](t, signed)
	checkUnary[int64](t, signed)
	checkUnary[uint8](t, []string{"abs", "relu"})
	checkUnary[uint32](t, []string{"abs", "relu"})
}

func TestUnaryTypedAPIAndErrors(t *testing.T) {
	x, err := FromSlice([]float32{-1000, -1, 0, 1, 1000}, 5)
	require.NoError(t, err)
	s, err := Sigmoid(x)
	require.NoError(t, err)
	v, err := s.Values()
	require.NoError(t, err)
	assert.Equal(t, []float32{0, float32(1 / (1 + math.E)), 0.5, float32(1 / (1 + 1/math.E)), 1}, v, "no overflow at ±1000")
	for _, f := range []func(*Tensor[float32]) (*Tensor[float32], error){Neg[float32], Abs[float32], Exp[float32], Log[float32], Sqrt[float32], Rsqrt[float32], Sin[float32], Cos[float32], Tanh[float32], Relu[float32], Gelu[float32], GeluTanh[float32], Silu[float32]} {
		y, err := f(x)
		require.NoError(t, err)
		assert.Equal(t, x.Shape(), y.Shape())
	}
	i, err := FromSlice([]int8{1, -2}, 2)
	require.NoError(t, err)
	_, err = UnaryOp("exp", i.Array())
	require.ErrorContains(t, err, "exp: not defined for dtype I8")
	u, err := FromSlice([]uint8{1, 2}, 2)
	require.NoError(t, err)
	_, err = Neg(u)
	require.ErrorContains(t, err, "neg: not defined for dtype U8")
	_, err = UnaryOp("nope", x.Array())
	require.ErrorContains(t, err, "nope")
}

func checkCompare[T Element](t *testing.T) {
	d := DTypeOf[T]()
	r := rand.New(rand.NewPCG(3, uint64(d)))
	refs := map[string]func(x, y float64) bool{
		"eq": func(x, y float64) bool { return x == y }, "ne": func(x, y float64) bool { return x != y },
		"lt": func(x, y float64) bool { return x < y }, "le": func(x, y float64) bool { return x <= y },
		"gt": func(x, y float64) bool { return x > y }, "ge": func(x, y float64) bool { return x >= y },
	}
	fns := map[string]func(a, b *Tensor[T]) (*Tensor[bool], error){
		"eq": Equal[T], "ne": NotEqual[T], "lt": Less[T], "le": LessEqual[T], "gt": Greater[T], "ge": GreaterEqual[T],
	}
	for opName, fn := range fns {
		for _, sh := range binaryShapes {
			for _, kind := range viewKinds {
				lo := -2.0
				if d == U8 || d == U32 {
					lo = 0
				}
				av := randValues[T](r, sh[0].NumElements(), lo, 2)
				bv := randValues[T](r, sh[1].NumElements(), lo, 2)
				if d.IsFloat() { // make equal pairs likely
					for i := range av {
						av[i] = fromF64[T](math.Round(toF64(av[i])))
					}
					for i := range bv {
						bv[i] = fromF64[T](math.Round(toF64(bv[i])))
					}
				}
				got, err := fn(makeView(t, av, sh[0], kind), makeView(t, bv, sh[1], kind))
				require.NoError(t, err)
				outShape, err := BroadcastShapes(sh[0], sh[1])
				require.NoError(t, err)
				gv, err := got.Values()
				require.NoError(t, err)
				walkIndex(outShape, func(lin int, idx []int) {
					x := toF64(av[bcastIndex(sh[0], idx)])
					y := toF64(bv[bcastIndex(sh[1], idx)])
					require.Equal(t, refs[opName](x, y), gv[lin], "%v %s %v: %v vs %v", d, opName, sh, x, y)
				})
			}
		}
	}
}

func TestComparisonsAllDTypes(t *testing.T) {
	checkCompare[float32](t)
	checkCompare[float64](t)
	checkCompare[Float16](t)
	checkCompare[BFloat16](t)
	checkCompare[int8](t)
	checkCompare[uint8](t)
	checkCompare[int16](t)
	checkCompare[int32](t)
	checkCompare[int64](t)
	checkCompare[uint32](t)
	checkCompare[bool](t)
}

func TestComparisonNaN(t *testing.T) {
	nan := float32(math.NaN())
	a, err := FromSlice([]float32{nan, 1, nan}, 3)
	require.NoError(t, err)
	b, err := FromSlice([]float32{nan, nan, 1}, 3)
	require.NoError(t, err)
	eq, err := Equal(a, b)
	require.NoError(t, err)
	v, err := eq.Values()
	require.NoError(t, err)
	assert.Equal(t, []bool{false, false, false}, v)
	ne, err := NotEqual(a, b)
	require.NoError(t, err)
	v, err = ne.Values()
	require.NoError(t, err)
	assert.Equal(t, []bool{true, true, true}, v)
}

func checkWhere[T Element](t *testing.T) {
	d := DTypeOf[T]()
	r := rand.New(rand.NewPCG(4, uint64(d)))
	shapes := [][3]Shape{
		{{2, 3}, {2, 3}, {2, 3}},
		{{2, 1}, {3}, {}},
		{{}, {4}, {2, 4}},
		{{0, 3}, {3}, {1}},
		{{3, 1, 2}, {1, 4, 1}, {4, 2}},
	}
	for _, sh := range shapes {
		for _, kind := range viewKinds {
			cv := randValues[bool](r, sh[0].NumElements(), 0, 1)
			av := randValues[T](r, sh[1].NumElements(), 0, 50)
			bv := randValues[T](r, sh[2].NumElements(), 0, 50)
			got, err := Where(makeView(t, cv, sh[0], kind), makeView(t, av, sh[1], kind), makeView(t, bv, sh[2], kind))
			require.NoError(t, err)
			out, err := BroadcastShapes(sh[0], sh[1])
			require.NoError(t, err)
			out, err = BroadcastShapes(out, sh[2])
			require.NoError(t, err)
			require.True(t, out.Equal(got.Shape()))
			gv, err := got.Values()
			require.NoError(t, err)
			walkIndex(out, func(lin int, idx []int) {
				want := bv[bcastIndex(sh[2], idx)]
				if cv[bcastIndex(sh[0], idx)] {
					want = av[bcastIndex(sh[1], idx)]
				}
				require.Equal(t, want, gv[lin], "%v %v %s", d, sh, kind)
			})
		}
	}
}

func TestWhereAllDTypes(t *testing.T) {
	checkWhere[float32](t)
	checkWhere[float64](t)
	checkWhere[Float16](t)
	checkWhere[BFloat16](t)
	checkWhere[int8](t)
	checkWhere[uint8](t)
	checkWhere[int16](t)
	checkWhere[int32](t)
	checkWhere[int64](t)
	checkWhere[uint32](t)
	checkWhere[bool](t)
}

func TestWhereErrors(t *testing.T) {
	c, err := Zeros[float32](2)
	require.NoError(t, err)
	a, err := Zeros[float32](2)
	require.NoError(t, err)
	_, err = WhereOp(c.Array(), a.Array(), a.Array())
	require.ErrorContains(t, err, "condition F32 [2] must be BOOL")
	cb, err := Zeros[bool](3)
	require.NoError(t, err)
	_, err = Where(cb, a, a)
	require.ErrorContains(t, err, "[3] and [2]")
}
