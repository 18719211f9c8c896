package core

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type reduceCase struct {
	shape Shape
	axes  []int
}

var reduceCases = []reduceCase{
	{Shape{2, 3, 4}, nil},
	{Shape{2, 3, 4}, []int{0}},
	{Shape{2, 3, 4}, []int{-1}},
	{Shape{2, 3, 4}, []int{0, 2}},
	{Shape{2, 3, 4}, []int{1, 0}},
	{Shape{}, nil},
	{Shape{1}, []int{0}},
	{Shape{3, 0}, []int{0}},
	{Shape{0, 3}, []int{0}},
	{Shape{3, 1100}, []int{1}}, // more than two chunks per block
	{Shape{5, 1, 3}, []int{1}},
}

// refReduce groups the float64 values of a row-major tensor of shape by
// their position outside axes and applies f to each group, in the
// keepdims output's row-major order.
func refReduce(vals []float64, shape Shape, axes []int, f func(g []float64) float64) ([]float64, Shape) {
	out := shape.Clone()
	for _, a := range axes {
		out[a] = 1
	}
	groups := make([][]float64, out.NumElements())
	walkIndex(shape, func(lin int, idx []int) {
		oi := 0
		for d := range shape {
			k := idx[d]
			if out[d] == 1 {
				k = 0
			}
			oi = oi*out[d] + k
		}
		groups[oi] = append(groups[oi], vals[lin])
	})
	res := make([]float64, len(groups))
	for i, g := range groups {
		res[i] = f(g)
	}
	return res, out
}

func refAgg(name string, ddof int) func(g []float64) float64 {
	return func(g []float64) float64 {
		var s float64
		for _, v := range g {
			s += v
		}
		switch name {
		case "sum":
			return s
		case "mean":
			return s / float64(len(g))
		case "max":
			m := math.Inf(-1)
			for _, v := range g {
				m = math.Max(m, v)
			}
			return m
		case "min":
			m := math.Inf(1)
			for _, v := range g {
				m = math.Min(m, v)
			}
			return m
		case "var":
			if len(g)-ddof <= 0 {
				return math.NaN()
			}
			mu := s / float64(len(g))
			var ss float64
			for _, v := range g {
				ss += (v - mu) * (v - mu)
			}
			return ss / float64(len(g)-ddof)
		}
		panic(name)
	}
}

func normTestAxes(shape Shape, axes []int) []int {
	if len(axes) == 0 {
		return identityDims(len(shape))
	}
	out := make([]int, len(axes))
	for i, a := range axes {
		if a < 0 {
			a += len(shape)
		}
		out[i] = a
	}
	return out
}

func checkReduce[T Numeric](t *testing.T, names []string) {
	d := DTypeOf[T]()
	r := rand.New(rand.NewPCG(5, uint64(d)))
	for _, opName := range names {
		for _, rc := range reduceCases {
			ax := normTestAxes(rc.shape, rc.axes)
			empty := false
			for _, a := range ax {
				empty = empty || rc.shape[a] == 0
			}
			for _, kind := range viewKinds {
				lo := -3.0
				if d == U8 || d == U32 {
					lo = 0
				}
				vals := randValues[T](r, rc.shape.NumElements(), lo, 3)
				x := makeView(t, vals, rc.shape, kind)
				fv := make([]float64, len(vals))
				for i, v := range vals {
					fv[i] = toF64(v)
				}
				for _, keep := range []bool{true, false} {
					var got *Array
					var err error
					if opName == "var" {
						got, err = VarianceOp(x.Array(), rc.axes, 1, keep)
					} else {
						got, err = ReduceOp(opName, x.Array(), rc.axes, keep)
					}
					msg := name(d, " ", opName, " ", rc.shape, " axes ", rc.axes, " ", kind, " keep ", keep)
					if empty && rc.shape.NumElements() == 0 && (opName == "max" || opName == "min") {
						outN := 1
						for i, s := range rc.shape {
							if !slices.Contains(ax, i) {
								outN *= s
							}
						}
						if outN > 0 {
							require.ErrorContains(t, err, "empty axis", msg)
							continue
						}
					}
					require.NoError(t, err, msg)
					want, outShape := refReduce(fv, rc.shape, ax, refAgg(opName, 1))
					if !keep {
						var s Shape
						for i, n := range outShape {
							if !slices.Contains(ax, i) {
								s = append(s, n)
							}
						}
						outShape = s
					}
					require.True(t, outShape.Equal(got.Shape()), "%s: shape %v want %v", msg, got.Shape(), outShape)
					for i := range want {
						want[i] = roundTo[T](want[i])
					}
					tol := tolFor(d)
					if d.IsFloat() {
						tol *= 4
					}
					assertClose(t, want, valuesF64(t, mustAs[T](t, got)), tol, msg)
				}
			}
		}
	}
}

func TestReductionsAllDTypes(t *testing.T) {
	all := []string{"sum", "mean", "max", "min", "var"}
	ints := []string{"sum", "max", "min"}
	checkReduce[float32](t, all)
	checkReduce[float64](t, all)
	checkReduce[Float16](t, all)
	checkReduce[BFloat16](t, all)
	checkReduce[int8](t, ints)
	checkReduce[uint8](t, ints)
	checkReduce[int16](t, ints)
	checkReduce[int32](t, ints)
	checkReduce[int64](t, ints)
	checkReduce[uint32](t, ints)
}

func TestReductionTypedAPI(t *testing.T) {
	x, err := FromSlice(arange(24), 2, 3, 4)
	require.NoError(t, err)
	s, err := Sum(x, false, 0, 2)
	require.NoError(t, err)
	v, err := s.Values()
	require.NoError(t, err)
	// sum over i,k of 12i+4j+k = 2*4*4j + 4*12 + 2*6 = 32j+60
	assert.Equal(t, []float32{60, 92, 124}, v)
	m, err := Mean(x, true)
	require.NoError(t, err)
	assert.Equal(t, Shape{1, 1, 1}, m.Shape())
	mv, err := m.Values()
	require.NoError(t, err)
	assert.Equal(t, []float32{11.5}, mv)
	mx, err := Max(x, false, -1)
	require.NoError(t, err)
	v, err = mx.Values()
	require.NoError(t, err)
	assert.Equal(t, []float32{3, 7, 11, 15, 19, 23}, v)
	mn, err := Min(x, false)
	require.NoError(t, err)
	v, err = mn.Values()
	require.NoError(t, err)
	assert.Equal(t, []float32{0}, v)
	vr, err := Variance(x, 0, false, 2)
	require.NoError(t, err)
	v, err = vr.Values()
	require.NoError(t, err)
	assert.InDeltaSlice(t, []float32{1.25, 1.25, 1.25, 1.25, 1.25, 1.25}, v, 1e-6)

	_, err = Sum(x, false, 3)
	require.ErrorContains(t, err, "axis 3 is out of range for rank 3")
	_, err = Sum(x, false, 1, -2)
	require.ErrorContains(t, err, "repeated")
	_, err = ReduceOp("var", x.Array(), nil, false)
	require.ErrorContains(t, err, "VarianceOp")
	_, err = VarianceOp(x.Array(), nil, -1, false)
	require.ErrorContains(t, err, "ddof -1")
	i, err := FromSlice([]int32{1, 2}, 2)
	require.NoError(t, err)
	_, err = ReduceOp("mean", i.Array(), nil, false)
	require.ErrorContains(t, err, "mean: not defined for dtype I32")
	e, err := Zeros[float32](0, 2)
	require.NoError(t, err)
	_, err = Max(e, false, 0)
	require.ErrorContains(t, err, "empty axis")
	es, err := Sum(e, false, 0)
	require.NoError(t, err)
	v, err = es.Values()
	require.NoError(t, err)
	assert.Equal(t, []float32{0, 0}, v)
	em, err := Mean(e, false, 0)
	require.NoError(t, err)
	v, err = em.Values()
	require.NoError(t, err)
	assert.True(t, math.IsNaN(float64(v[0])))
}

func TestReductionNaNAndWrap(t *testing.T) {
	nan := float32(math.NaN())
	x, err := FromSlice([]float32{1, nan, 3, 5, 4, 2}, 2, 3)
	require.NoError(t, err)
	m, err := Max(x, false, 1)
	require.NoError(t, err)
	v, err := m.Values()
	require.NoError(t, err)
	assert.True(t, math.IsNaN(float64(v[0])))
	assert.Equal(t, float32(5), v[1])
	am, err := ArgMax(x, 1, false)
	require.NoError(t, err)
	iv, err := am.Values()
	require.NoError(t, err)
	assert.Equal(t, []int64{1, 0}, iv)

	b, err := FromSlice([]int8{100, 100, 100}, 3)
	require.NoError(t, err)
	s, err := Sum(b, false)
	require.NoError(t, err)
	bv, err := s.Values()
	require.NoError(t, err)
	assert.Equal(t, []int8{44}, bv, "300 wraps to 44 in int8")
}

func checkArgMax[T Numeric](t *testing.T) {
	d := DTypeOf[T]()
	r := rand.New(rand.NewPCG(6, uint64(d)))
	cases := []reduceCase{{Shape{2, 3, 4}, []int{0}}, {Shape{2, 3, 4}, []int{1}}, {Shape{2, 3, 4}, []int{-1}}, {Shape{1}, []int{0}}, {Shape{0, 3}, []int{1}}, {Shape{2, 1300}, []int{1}}}
	for _, rc := range cases {
		for _, kind := range viewKinds {
			vals := randValues[T](r, rc.shape.NumElements(), 0, 100)
			x := makeView(t, vals, rc.shape, kind)
			got, err := ArgMax(x, rc.axes[0], false)
			require.NoError(t, err)
			ax := normTestAxes(rc.shape, rc.axes)[0]
			// reference: position of the first maximum along ax
			want := make([]float64, 0)
			outShape := slices.Delete(rc.shape.Clone(), ax, ax+1)
			walkIndex(outShape, func(_ int, idx []int) {
				best, bi := math.Inf(-1), -1
				for k := range rc.shape[ax] {
					full := slices.Insert(slices.Clone(idx), ax, k)
					v := toF64(vals[bcastIndex(rc.shape, full)])
					if bi < 0 || v > best {
						best, bi = v, k
					}
				}
				want = append(want, float64(bi))
			})
			require.True(t, outShape.Equal(got.Shape()))
			assertClose(t, want, valuesF64(t, got), 0, name(d, rc, kind))
		}
	}
}

func TestArgMaxAllDTypes(t *testing.T) {
	checkArgMax[float32](t)
	checkArgMax[float64](t)
	checkArgMax[Float16](t)
	checkArgMax[BFloat16](t)
	checkArgMax[int8](t)
	checkArgMax[uint8](t)
	checkArgMax[int16](t)
	checkArgMax[int32](t)
	checkArgMax[int64](t)
	checkArgMax[uint32](t)
	x, err := Zeros[float32](2, 0)
	require.NoError(t, err)
	_, err = ArgMax(x, 1, true)
	require.ErrorContains(t, err, "empty")
	_, err = ArgMax(x, 2, true)
	require.ErrorContains(t, err, "out of range")
}

func refSoftmax(row []float64, logForm bool) []float64 {
	m := math.Inf(-1)
	for _, v := range row {
		m = math.Max(m, v)
	}
	var s float64
	for _, v := range row {
		s += math.Exp(v - m)
	}
	out := make([]float64, len(row))
	for i, v := range row {
		if logForm {
			out[i] = v - m - math.Log(s)
		} else {
			out[i] = math.Exp(v-m) / s
		}
	}
	return out
}

func checkSoftmax[T Float](t *testing.T) {
	d := DTypeOf[T]()
	r := rand.New(rand.NewPCG(7, uint64(d)))
	cases := []reduceCase{{Shape{2, 3, 4}, []int{-1}}, {Shape{2, 3, 4}, []int{0}}, {Shape{2, 3, 4}, []int{1}}, {Shape{1}, []int{0}}, {Shape{0, 3}, []int{1}}, {Shape{3, 0}, []int{1}}, {Shape{2, 600}, []int{1}}}
	for _, logForm := range []bool{false, true} {
		for _, rc := range cases {
			for _, kind := range viewKinds {
				vals := randValues[T](r, rc.shape.NumElements(), -5, 5)
				x := makeView(t, vals, rc.shape, kind)
				var got *Tensor[T]
				var err error
				if logForm {
					got, err = LogSoftmax(x, rc.axes[0])
				} else {
					got, err = Softmax(x, rc.axes[0])
				}
				require.NoError(t, err)
				ax := normTestAxes(rc.shape, rc.axes)[0]
				want := make([]float64, len(vals))
				rowShape := rc.shape.Clone()
				rowShape[ax] = 1
				walkIndex(rowShape, func(_ int, idx []int) {
					n := rc.shape[ax]
					row := make([]float64, n)
					lin := make([]int, n)
					for k := range n {
						full := slices.Clone(idx)
						full[ax] = k
						lin[k] = bcastIndex(rc.shape, full)
						row[k] = toF64(vals[lin[k]])
					}
					for k, v := range refSoftmax(row, logForm) {
						want[lin[k]] = v
					}
				})
				assertClose(t, want, valuesF64(t, got), 2*tolFor(d), name(d, " log ", logForm, " ", rc, " ", kind))
			}
		}
	}
}

func TestSoftmaxAllFloatDTypes(t *testing.T) {
	checkSoftmax[float32](t)
	checkSoftmax[float64](t)
	checkSoftmax[Float16](t)
	checkSoftmax[BFloat16](t)
}

func TestSoftmaxStableForLargeInputs(t *testing.T) {
	x, err := FromSlice([]float32{1000, 1001, 1002, -1000, -1001, -1002}, 2, 3)
	require.NoError(t, err)
	s, err := Softmax(x, -1)
	require.NoError(t, err)
	v, err := s.Values()
	require.NoError(t, err)
	e1, e2 := math.Exp(-1), math.Exp(-2)
	den := 1 + e1 + e2
	want := []float64{e2 / den, e1 / den, 1 / den, 1 / den, e1 / den, e2 / den}
	for i := range want {
		assert.InDelta(t, want[i], v[i], 1e-6)
	}
	ls, err := LogSoftmax(x, -1)
	require.NoError(t, err)
	v, err = ls.Values()
	require.NoError(t, err)
	for i := range want {
		assert.InDelta(t, math.Log(want[i]), v[i], 1e-5)
	}
	h, err := FromSlice([]Float16{Float16(0x7bff), Float16(0x7bff)}, 2) // 65504, the f16 maximum
	require.NoError(t, err)
	hs, err := Softmax(h, 0)
	require.NoError(t, err)
	hv, err := hs.Values()
	require.NoError(t, err)
	assert.Equal(t, float32(0.5), hv[0].Float32())

	i, err := FromSlice([]int32{1, 2}, 2)
	require.NoError(t, err)
	_, err = SoftmaxOp("softmax", i.Array(), 0)
	require.ErrorContains(t, err, "softmax: not defined for dtype I32")
	_, err = Softmax(x, 2)
	require.ErrorContains(t, err, "axis 2 is out of range")
}
