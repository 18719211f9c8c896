package cuda

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
)

// view builds a view of a base array (the same steps on the host and on
// the device).
type view func(*core.Array) (*core.Array, error)

func ident(a *core.Array) (*core.Array, error) { return a, nil }

func permute(axes ...int) view {
	return func(a *core.Array) (*core.Array, error) { return a.Permute(axes...) }
}

func bcast(shape ...int) view {
	return func(a *core.Array) (*core.Array, error) { return a.BroadcastTo(core.Shape(shape)) }
}

func slice(axis, start, stop, step int) view {
	return func(a *core.Array) (*core.Array, error) { return a.Slice(axis, start, stop, step) }
}

// input is one operand: a base array of a shape, seen through a view.
type input struct {
	base core.Shape
	v    view
}

// prepare uploads base data and applies the view on both sides; it returns
// the host view, the device view and the logical values.
func prepare(tb testing.TB, dev *Device, dt core.DType, o input, data []float64) (*core.Array, *core.Array, []float64) {
	tb.Helper()
	hb := hostArray(tb, dt, o.base, data)
	db, err := hb.To(dev)
	require.NoError(tb, err)
	hv, err := o.v(hb)
	require.NoError(tb, err)
	dv, err := o.v(db)
	require.NoError(tb, err)
	require.Equal(tb, hv.Strides(), dv.Strides())
	return hv, dv, strided(hv, round(dt, data))
}

// binaryCases are pairs of operands broadcast to a common shape: equal
// shapes, a broadcast row, permuted and sliced views, one element, empty,
// a rank-0 scalar, and an odd size past one block.
var binaryCases = []struct {
	a, b  input
	shape core.Shape
}{
	{input{core.Shape{7}, ident}, input{core.Shape{7}, ident}, core.Shape{7}},
	{input{core.Shape{3, 5}, ident}, input{core.Shape{5}, bcast(3, 5)}, core.Shape{3, 5}},
	{input{core.Shape{4, 3, 2}, permute(2, 1, 0)}, input{core.Shape{3, 1}, bcast(2, 3, 4)}, core.Shape{2, 3, 4}},
	{input{core.Shape{1}, bcast(4)}, input{core.Shape{4}, ident}, core.Shape{4}},
	{input{core.Shape{0, 3}, ident}, input{core.Shape{0, 3}, ident}, core.Shape{0, 3}},
	{input{core.Shape{}, ident}, input{core.Shape{}, ident}, core.Shape{}},
	{input{core.Shape{9, 33}, slice(1, 1, 32, 2)}, input{core.Shape{16, 9}, permute(1, 0)}, core.Shape{9, 16}},
	{input{core.Shape{3*1024 + 7}, ident}, input{core.Shape{3*1024 + 7}, ident}, core.Shape{3*1024 + 7}},
	{input{core.Shape{2, 1, 3, 1, 5, 1, 2, 1, 3, 2}, permute(9, 8, 7, 6, 5, 4, 3, 2, 1, 0)}, input{core.Shape{1}, bcast(2, 3, 1, 2, 1, 5, 1, 3, 1, 2)}, core.Shape{2, 3, 1, 2, 1, 5, 1, 3, 1, 2}},
}

var binaryRef = map[string]func(a, b float64) float64{
	"add": func(a, b float64) float64 { return a + b },
	"sub": func(a, b float64) float64 { return a - b },
	"mul": func(a, b float64) float64 { return a * b },
	"div": func(a, b float64) float64 { return a / b },
	"pow": math.Pow,
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
	"eq": func(a, b float64) float64 { return b2f(a == b) },
	"ne": func(a, b float64) float64 { return b2f(a != b) },
	"lt": func(a, b float64) float64 { return b2f(a < b) },
	"le": func(a, b float64) float64 { return b2f(a <= b) },
	"gt": func(a, b float64) float64 { return b2f(a > b) },
	"ge": func(a, b float64) float64 { return b2f(a >= b) },
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

var (
	floatTypes = []core.DType{core.F32, core.F64, core.F16, core.BF16}
	intTypes   = []core.DType{core.I8, core.U8, core.I16, core.I32, core.I64, core.U32}
)

func TestBinaryParity(t *testing.T) {
	dev := gpu(t)
	r := rand.New(rand.NewPCG(1, 2))
	for name, ref := range binaryRef {
		types := append([]core.DType{}, floatTypes...)
		if name != "pow" {
			types = append(types, intTypes...)
		}
		for _, dt := range types {
			for ci, c := range binaryCases {
				t.Run(fmt.Sprintf("%s/%v/%d", name, dt, ci), func(t *testing.T) {
					ints := !dt.IsFloat() || compareOps[name]
					lo, hi := -6.0, 6.0
					if name == "pow" || (name == "div" && dt.IsFloat()) {
						lo, hi = 0.5, 3
					}
					if dt == core.U8 || dt == core.U32 {
						lo = 0
					}
					ha, da, va := prepare(t, dev, dt, c.a, random(r, c.a.base.NumElements(), lo, hi, ints))
					hb, db, vb := prepare(t, dev, dt, c.b, random(r, c.b.base.NumElements(), lo, hi, ints))
					outType := dt
					if compareOps[name] {
						outType = core.Bool
					}
					want := make([]float64, len(va))
					for i := range want {
						want[i] = ref(va[i], vb[i])
					}
					if name == "div" && !dt.IsFloat() {
						// Integer division truncates; x/0 is 0 (core's rule).
						for i := range want {
							want[i] = 0
							if vb[i] != 0 {
								want[i] = math.Trunc(va[i] / vb[i])
							}
						}
					}
					want = round(outType, want)
					got := runOn(t, dev, name, outType, c.shape, nil, 0, da, db)
					cpu := cpuRef(t, name, []*core.Array{ha, hb}, outType, c.shape, nil, 0)
					if outType.IsFloat() {
						near(t, outType, want, got, 1, name)
						near(t, outType, cpu, got, 1, name+" vs core CPU")
					} else {
						require.Equal(t, want, got, name)
						require.Equal(t, cpu, got, name+" vs core CPU")
					}
				})
			}
		}
	}
}

func TestWhereParity(t *testing.T) {
	dev := gpu(t)
	r := rand.New(rand.NewPCG(3, 4))
	for _, dt := range []core.DType{core.F32, core.BF16, core.I64, core.Bool} {
		c := binaryCases[2]
		hc, dc, vc := prepare(t, dev, core.Bool, input{core.Shape{2, 3, 4}, ident}, random(r, 24, 0, 1, true))
		ha, da, va := prepare(t, dev, dt, c.a, random(r, c.a.base.NumElements(), 0, 1, true))
		hb, db, vb := prepare(t, dev, dt, c.b, random(r, c.b.base.NumElements(), 0, 1, true))
		want := make([]float64, 24)
		for i := range want {
			want[i] = vb[i]
			if vc[i] != 0 {
				want[i] = va[i]
			}
		}
		got := runOn(t, dev, "where", dt, c.shape, nil, 0, dc, da, db)
		require.Equal(t, want, got, "where %v", dt)
		require.Equal(t, cpuRef(t, "where", []*core.Array{hc, ha, hb}, dt, c.shape, nil, 0), got, "where %v vs core CPU", dt)
	}
}

var unaryRef = map[string]func(float64) float64{
	"neg":     func(x float64) float64 { return -x },
	"abs":     math.Abs,
	"exp":     math.Exp,
	"log":     math.Log,
	"sqrt":    math.Sqrt,
	"rsqrt":   func(x float64) float64 { return 1 / math.Sqrt(x) },
	"sin":     math.Sin,
	"cos":     math.Cos,
	"tanh":    math.Tanh,
	"sigmoid": func(x float64) float64 { return 1 / (1 + math.Exp(-x)) },
	"relu":    func(x float64) float64 { return math.Max(x, 0) },
	"silu":    func(x float64) float64 { return x / (1 + math.Exp(-x)) },
	"gelu":    func(x float64) float64 { return 0.5 * x * (1 + math.Erf(x/math.Sqrt2)) },
	"gelu_tanh": func(x float64) float64 {
		return 0.5 * x * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(x+0.044715*x*x*x)))
	},
}

func TestUnaryParity(t *testing.T) {
	dev := gpu(t)
	r := rand.New(rand.NewPCG(5, 6))
	cases := []input{
		{core.Shape{1}, ident}, {core.Shape{0}, ident}, {core.Shape{}, ident},
		{core.Shape{5, 7}, permute(1, 0)}, {core.Shape{2049}, ident}, {core.Shape{6, 10}, slice(1, 1, 9, 3)},
	}
	for name, ref := range unaryRef {
		types := floatTypes
		switch name {
		case "neg":
			types = append(append([]core.DType{}, floatTypes...), core.I8, core.I16, core.I32, core.I64)
		case "abs", "relu":
			types = append(append([]core.DType{}, floatTypes...), intTypes...)
		}
		for _, dt := range types {
			for ci, c := range cases {
				lo, hi := -4.0, 4.0
				if name == "log" || name == "sqrt" || name == "rsqrt" {
					lo, hi = 0.1, 5
				}
				if dt == core.U8 || dt == core.U32 {
					lo = 0
				}
				hv, dv, v := prepare(t, dev, dt, c, random(r, c.base.NumElements(), lo, hi, !dt.IsFloat()))
				want := make([]float64, len(v))
				for i := range v {
					want[i] = ref(v[i])
				}
				want = round(dt, want)
				got := runOn(t, dev, name, dt, hv.Shape(), nil, 0, dv)
				what := fmt.Sprintf("%s/%v/%d", name, dt, ci)
				if dt.IsFloat() {
					near(t, dt, want, got, 1, what)
				} else {
					require.Equal(t, want, got, what)
				}
				cpu := cpuRef(t, name, []*core.Array{hv}, dt, hv.Shape(), nil, 0)
				if dt.IsFloat() {
					near(t, dt, cpu, got, 1, what+" vs core CPU")
				} else {
					require.Equal(t, cpu, got, what+" vs core CPU")
				}
			}
		}
	}
}

func TestCastAndCopyParity(t *testing.T) {
	dev := gpu(t)
	r := rand.New(rand.NewPCG(7, 8))
	c := input{core.Shape{3, 4, 5}, permute(2, 0, 1)}
	for _, from := range core.DTypes {
		for _, to := range core.DTypes {
			// Fractions, values past every integer range (saturation,
			// wrap-around), negatives into unsigned types, zeros, and for
			// floats NaN and infinities.
			data := random(r, 60, -70000, 70000, !from.IsFloat())
			for i := range 20 {
				data[i] = random(r, 1, -12, 12, !from.IsFloat())[0]
			}
			data[20], data[21] = 0, 1
			if from.IsFloat() {
				data[22], data[23], data[24] = math.NaN(), math.Inf(1), math.Inf(-1)
				data[25], data[26] = 3e9, -1e20
			}
			if from == core.Bool {
				data = random(r, 60, 0, 1, true)
			}
			hv, dv, _ := prepare(t, dev, from, c, data)
			name := "cast"
			if from == to {
				name = "copy"
			}
			got := runOn(t, dev, name, to, hv.Shape(), nil, 0, dv)
			want := cpuRef(t, name, []*core.Array{hv}, to, hv.Shape(), nil, 0)
			what := fmt.Sprintf("%s %v->%v", name, from, to)
			// Exact: both round once, saturate and wrap the same way.
			require.Len(t, got, len(want), what)
			for i := range want {
				if math.IsNaN(want[i]) {
					require.True(t, math.IsNaN(got[i]), "%s: element %d: want NaN, got %v", what, i, got[i])
					continue
				}
				require.Equal(t, want[i], got[i], "%s: element %d", what, i)
			}
		}
	}
}

func TestLayoutCollapse(t *testing.T) {
	a, err := core.Empty(core.CPU(), core.F32, core.Shape{2, 3, 4})
	require.NoError(t, err)
	l, err := makeLayout(a, a)
	require.NoError(t, err)
	require.Equal(t, int32(1), l.rank, "contiguous operands collapse to one dimension")
	require.Equal(t, int64(24), l.shape[0])
	row, err := core.Empty(core.CPU(), core.F32, core.Shape{4})
	require.NoError(t, err)
	b, err := row.BroadcastTo(core.Shape{2, 3, 4})
	require.NoError(t, err)
	l, err = makeLayout(a, b)
	require.NoError(t, err)
	require.Equal(t, int32(2), l.rank, "a broadcast row keeps rows and columns apart")
	require.Equal(t, [2]int64{6, 4}, [2]int64{l.shape[0], l.shape[1]})
	require.Equal(t, [2]int64{0, 1}, [2]int64{l.st[1][0], l.st[1][1]})
	p, err := a.Permute(2, 1, 0)
	require.NoError(t, err)
	l, err = makeLayout(p)
	require.NoError(t, err)
	require.Equal(t, int32(3), l.rank)
	require.Equal(t, [3]int64{1, 4, 12}, [3]int64{l.st[0][0], l.st[0][1], l.st[0][2]})
}
