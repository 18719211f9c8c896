package metal

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/lbrx/lbrx/core"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every kernel against a float64 reference written here, on shapes that
// hit the edges: one element, rank 0, odd sizes and partial threadgroups
// or tiles, broadcast, transposed and sliced views, empty tensors. These
// tests need a Metal GPU and skip elsewhere.

var floatDTypes = []core.DType{core.F32, core.F16, core.BF16}

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

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

var unaryRef = map[string]func(x float64) float64{
	"neg":     func(x float64) float64 { return -x },
	"abs":     math.Abs,
	"exp":     math.Exp,
	"log":     math.Log,
	"sqrt":    math.Sqrt,
	"rsqrt":   func(x float64) float64 { return 1 / math.Sqrt(x) },
	"sin":     math.Sin,
	"cos":     math.Cos,
	"tanh":    math.Tanh,
	"sigmoid": sigmoid,
	"relu":    func(x float64) float64 { return math.Max(x, 0) },
	"gelu":    func(x float64) float64 { return x / 2 * (1 + math.Erf(x/math.Sqrt2)) },
	"gelu_tanh": func(x float64) float64 {
		return x / 2 * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(x+0.044715*x*x*x)))
	},
	"silu": func(x float64) float64 { return x * sigmoid(x) },
}

// view is a named way to present host data to a kernel.
type view struct {
	name  string
	shape []int // the base allocation
	make  func(*core.Array) (*core.Array, error)
}

var elementViews = []view{
	{"scalar", []int{}, nil},
	{"one", []int{1}, nil},
	{"odd", []int{7}, nil},
	{"partial-group", []int{257}, nil},
	{"matrix", []int{13, 21}, nil},
	{"transposed", []int{6, 5}, func(a *core.Array) (*core.Array, error) { return a.T() }},
	{"sliced", []int{4, 9}, func(a *core.Array) (*core.Array, error) { return a.Slice(1, 1, 9, 3) }},
	{"empty", []int{0, 4}, nil},
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// gpuView uploads random data of shape v.shape and applies v's view on the GPU.
func gpuView(t *testing.T, c *Context, r *rand.Rand, dt core.DType, v view, lo, hi float32) (*core.Array, []float32) {
	t.Helper()
	host := hostArray(t, dt, randVals(r, numel(v.shape), lo, hi), v.shape...)
	g := toGPU(t, c, host)
	if v.make != nil {
		var err error
		g, err = v.make(g)
		require.NoError(t, err)
	}
	// The reference reads the same view on the host (rounded values).
	return g, values(t, g)
}

func TestKernelsUnary(t *testing.T) {
	c := gpu(t)
	r := rand.New(rand.NewPCG(1, 2))
	for _, dt := range floatDTypes {
		for _, name := range UnaryOps {
			for _, v := range elementViews {
				lo, hi := float32(-3), float32(3)
				if name == "log" || name == "sqrt" || name == "rsqrt" {
					lo = 0.05
				}
				in, xs := gpuView(t, c, r, dt, v, lo, hi)
				out := gpuOut(t, c, dt, in.Shape()...)
				got := run(t, c, &core.Op{Name: name, Inputs: []*core.Array{in}, Out: out})
				want := make([]float64, len(xs))
				for i, x := range xs {
					want[i] = unaryRef[name](float64(x))
				}
				near(t, dt, want, got, fmt.Sprintf("%s %v %s", name, dt, v.name))
			}
		}
	}
}

func TestKernelsBinary(t *testing.T) {
	c := gpu(t)
	r := rand.New(rand.NewPCG(3, 4))
	for _, dt := range floatDTypes {
		for _, name := range BinaryOps {
			for _, v := range elementViews {
				lo := float32(-3)
				if name == "pow" || name == "div" {
					lo = 0.25 // real results, no division blow-ups
				}
				a, xa := gpuView(t, c, r, dt, v, lo, 3)
				b, xb := gpuView(t, c, r, dt, v, lo, 3)
				out := gpuOut(t, c, dt, a.Shape()...)
				got := run(t, c, &core.Op{Name: name, Inputs: []*core.Array{a, b}, Out: out})
				want := make([]float64, len(xa))
				for i := range xa {
					want[i] = binaryRef[name](float64(xa[i]), float64(xb[i]))
				}
				near(t, dt, want, got, fmt.Sprintf("%s %v %s", name, dt, v.name))
			}
			// Broadcasting: [3,5] op [1,5] and [3,1].
			for _, bs := range [][]int{{1, 5}, {3, 1}} {
				a := toGPU(t, c, hostArray(t, dt, randVals(r, 15, 0.25, 3), 3, 5))
				b0 := toGPU(t, c, hostArray(t, dt, randVals(r, numel(bs), 0.25, 3), bs...))
				b, err := b0.BroadcastTo(core.Shape{3, 5})
				require.NoError(t, err)
				xa, xb := values(t, a), values(t, b)
				got := run(t, c, &core.Op{Name: name, Inputs: []*core.Array{a, b}, Out: gpuOut(t, c, dt, 3, 5)})
				want := make([]float64, 15)
				for i := range want {
					want[i] = binaryRef[name](float64(xa[i]), float64(xb[i]))
				}
				near(t, dt, want, got, fmt.Sprintf("%s %v broadcast %v", name, dt, bs))
			}
		}
	}
}

func TestKernelsMaximumPropagatesNaN(t *testing.T) {
	c := gpu(t)
	nan := float32(math.NaN())
	for _, dt := range floatDTypes {
		a := toGPU(t, c, hostArray(t, dt, []float32{nan, 1, 2}, 3))
		b := toGPU(t, c, hostArray(t, dt, []float32{0, nan, 1}, 3))
		for _, name := range []string{"maximum", "minimum"} {
			got := run(t, c, &core.Op{Name: name, Inputs: []*core.Array{a, b}, Out: gpuOut(t, c, dt, 3)})
			assert.True(t, math.IsNaN(float64(got[0])) && math.IsNaN(float64(got[1])), "%s %v: %v", name, dt, got)
		}
	}
}

func TestKernelsCast(t *testing.T) {
	c := gpu(t)
	r := rand.New(rand.NewPCG(5, 6))
	special := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 65504, 1e-8, float32(math.Inf(1)), float32(math.Inf(-1))}
	for _, from := range floatDTypes {
		for _, to := range floatDTypes {
			if from == to {
				continue
			}
			for _, n := range []int{1, 7, 300} {
				xs := append(randVals(r, n, -100, 100), special...)
				in := toGPU(t, c, hostArray(t, from, xs, len(xs)))
				src := values(t, in)
				got := run(t, c, &core.Op{Name: "cast", Inputs: []*core.Array{in}, Out: gpuOut(t, c, to, len(xs))})
				// Exact: the kernel must round to nearest even like the host.
				want := decodeVals(to, encodeVals(to, src))
				for i := range want {
					if math.IsNaN(float64(want[i])) {
						assert.True(t, math.IsNaN(float64(got[i])))
						continue
					}
					assert.Equal(t, math.Float32bits(want[i]), math.Float32bits(got[i]), "cast %v->%v of %v", from, to, src[i])
				}
			}
		}
	}
}

func TestKernelsReduceAndSoftmax(t *testing.T) {
	c := gpu(t)
	r := rand.New(rand.NewPCG(7, 8))
	shapes := [][2]int{{1, 1}, {3, 7}, {2, 1000}, {5, 33}, {4, 0}, {0, 5}}
	for _, dt := range floatDTypes {
		for _, sh := range shapes {
			rows, cols := sh[0], sh[1]
			in := toGPU(t, c, hostArray(t, dt, randVals(r, rows*cols, -2, 2), rows, cols))
			xs := values(t, in)
			for _, name := range ReduceOps {
				got := run(t, c, &core.Op{Name: name, Inputs: []*core.Array{in}, Out: gpuOut(t, c, dt, rows), Axes: []int{1}})
				want, mag := make([]float64, rows), make([]float64, rows)
				for i := range rows {
					row := xs[i*cols : (i+1)*cols]
					want[i] = reduceRef(name, row)
					for _, x := range row {
						mag[i] += math.Abs(float64(x)) / float64(max(1, cols)) // mean-sized terms
					}
					if name == "sum" {
						mag[i] *= float64(cols)
					}
				}
				nearAcc(t, dt, want, mag, got, fmt.Sprintf("%s %v %dx%d", name, dt, rows, cols))
			}
			got := run(t, c, &core.Op{Name: "softmax", Inputs: []*core.Array{in}, Out: gpuOut(t, c, dt, rows, cols), Axes: []int{1}})
			want := make([]float64, 0, rows*cols)
			for i := range rows {
				want = append(want, softmaxRef(xs[i*cols:(i+1)*cols])...)
			}
			near(t, dt, want, got, fmt.Sprintf("softmax %v %dx%d", dt, rows, cols))
		}
		// Every other row of a matrix: a strided row view.
		base := toGPU(t, c, hostArray(t, dt, randVals(r, 6*10, -2, 2), 6, 10))
		v, err := base.Slice(0, 0, 6, 2)
		require.NoError(t, err)
		xs := values(t, v)
		got := run(t, c, &core.Op{Name: "sum", Inputs: []*core.Array{v}, Out: gpuOut(t, c, dt, 3), Axes: []int{1}})
		want := []float64{reduceRef("sum", xs[:10]), reduceRef("sum", xs[10:20]), reduceRef("sum", xs[20:])}
		near(t, dt, want, got, fmt.Sprintf("sum %v strided rows", dt))
	}
}

func reduceRef(name string, row []float32) float64 {
	switch name {
	case "sum", "mean":
		s := 0.0
		for _, x := range row {
			s += float64(x)
		}
		if name == "mean" {
			return s / float64(len(row)) // NaN for an empty row, as documented
		}
		return s
	case "max":
		m := math.Inf(-1)
		for _, x := range row {
			m = math.Max(m, float64(x))
		}
		return m
	default:
		m := math.Inf(1)
		for _, x := range row {
			m = math.Min(m, float64(x))
		}
		return m
	}
}

func softmaxRef(row []float32) []float64 {
	m := math.Inf(-1)
	for _, x := range row {
		m = math.Max(m, float64(x))
	}
	out := make([]float64, len(row))
	s := 0.0
	for i, x := range row {
		out[i] = math.Exp(float64(x) - m)
		s += out[i]
	}
	for i := range out {
		out[i] /= s
	}
	return out
}

// matmulRef computes [batch] MxK x KxN in float64 from row-major values,
// with the magnitude sums for nearAcc.
func matmulRef(a, b []float32, batch, m, k, n int, bBroadcast bool) (out, mag []float64) {
	out = make([]float64, batch*m*n)
	mag = make([]float64, batch*m*n)
	for z := range batch {
		bo := z * k * n
		if bBroadcast {
			bo = 0
		}
		for i := range m {
			for j := range n {
				s, g := 0.0, 0.0
				for p := range k {
					v := float64(a[z*m*k+i*k+p]) * float64(b[bo+p*n+j])
					s += v
					g += math.Abs(v)
				}
				out[z*m*n+i*n+j] = s
				mag[z*m*n+i*n+j] = g
			}
		}
	}
	return out, mag
}

func TestKernelsMatmul(t *testing.T) {
	c := gpu(t)
	r := rand.New(rand.NewPCG(9, 10))
	dims := [][3]int{{1, 1, 1}, {5, 3, 4}, {33, 17, 65}, {64, 64, 64}, {7, 0, 9}, {31, 40, 33}}
	for _, simd := range []bool{false, true} {
		if simd && !c.Info().SimdgroupMatrix {
			continue
		}
		for _, dt := range floatDTypes {
			for _, d := range dims {
				m, k, n := d[0], d[1], d[2]
				for _, tr := range []string{"NN", "TN", "NT", "TT"} {
					a := matOperand(t, c, r, dt, m, k, tr[0] == 'T')
					b := matOperand(t, c, r, dt, k, n, tr[1] == 'T')
					op := &core.Op{Name: "matmul", Inputs: []*core.Array{a, b}, Out: gpuOut(t, c, dt, m, n)}
					require.NoError(t, c.executeWith(op, simd))
					require.NoError(t, c.Sync())
					got := values(t, op.Out)
					want, mag := matmulRef(values(t, a), values(t, b), 1, m, k, n, false)
					nearAcc(t, dt, want, mag, got, fmt.Sprintf("matmul simd=%v %v %dx%dx%d %s", simd, dt, m, k, n, tr))
				}
			}
		}
	}
}

// matOperand makes an r x c GPU matrix, as a transposed view when tr.
func matOperand(t *testing.T, c *Context, rnd *rand.Rand, dt core.DType, r, cols int, tr bool) *core.Array {
	t.Helper()
	if !tr {
		return toGPU(t, c, hostArray(t, dt, randVals(rnd, r*cols, -1, 1), r, cols))
	}
	g := toGPU(t, c, hostArray(t, dt, randVals(rnd, r*cols, -1, 1), cols, r))
	v, err := g.T()
	require.NoError(t, err)
	return v
}

func TestMatMulComputeF32(t *testing.T) {
	c := gpu(t)
	mm, err := NewMatMul(c)
	require.NoError(t, err)
	r := rand.New(rand.NewPCG(11, 12))
	// [2,3,4] x [4,5]: B broadcast over the batch; operands start on the CPU.
	av, bv := randVals(r, 24, -1, 1), randVals(r, 20, -1, 1)
	a, err := core.FromSlice(av, 2, 3, 4)
	require.NoError(t, err)
	b, err := core.FromSlice(bv, 4, 5)
	require.NoError(t, err)
	meta := core.Metadata{Name: "w", Quant: &core.QuantizationInfo{Scheme: core.SchemeAffine, Bits: 4, GroupSize: 32}}
	b, err = b.WithMetadata(meta)
	require.NoError(t, err)
	gb, err := b.To(c.Device())
	require.NoError(t, err)
	assert.Equal(t, "w", gb.Metadata().Name, "metadata travels to the GPU")
	require.NotNil(t, gb.Metadata().Quant)
	assert.Equal(t, 32, gb.Metadata().Quant.GroupSize)

	out, err := mm.ComputeF32(a, gb)
	require.NoError(t, err)
	assert.Equal(t, core.Shape{2, 3, 5}, out.Shape())
	host, err := out.To(core.CPU())
	require.NoError(t, err)
	got, err := host.Values()
	require.NoError(t, err)
	want, mag := matmulRef(av, bv, 2, 3, 4, 5, true)
	nearAcc(t, core.F32, want, mag, got, "ComputeF32")

	back, err := gb.To(core.CPU())
	require.NoError(t, err)
	assert.Equal(t, meta.Quant.Scheme, back.Metadata().Quant.Scheme, "metadata travels back")

	_, err = mm.ComputeF32(a, a)
	require.ErrorContains(t, err, "inner dimensions")
}
