package core

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func checkConcat[T Element](t *testing.T) {
	d := DTypeOf[T]()
	r := rand.New(rand.NewPCG(10, uint64(d)))
	cases := []struct {
		axis   int
		shapes []Shape
	}{
		{0, []Shape{{2, 3}, {1, 3}, {4, 3}}},
		{1, []Shape{{2, 3}, {2, 1}, {2, 5}}},
		{-1, []Shape{{2, 3, 2}, {2, 3, 4}}},
		{1, []Shape{{2, 0, 2}, {2, 3, 2}, {2, 0, 2}}},
		{0, []Shape{{1}}},
		{0, []Shape{{0, 2}, {0, 2}}},
		{2, []Shape{{2, 3, 300}, {2, 3, 400}}},
	}
	for _, c := range cases {
		for _, kind := range viewKinds {
			var ts []*Tensor[T]
			var vals [][]T
			for _, s := range c.shapes {
				v := randValues[T](r, s.NumElements(), 0, 100)
				vals = append(vals, v)
				ts = append(ts, makeView(t, v, s, kind))
			}
			got, err := Concat(c.axis, ts...)
			require.NoError(t, err)
			ax := c.axis
			if ax < 0 {
				ax += len(c.shapes[0])
			}
			want := c.shapes[0].Clone()
			want[ax] = 0
			for _, s := range c.shapes {
				want[ax] += s[ax]
			}
			require.True(t, want.Equal(got.Shape()))
			gv, err := got.Values()
			require.NoError(t, err)
			walkIndex(want, func(lin int, idx []int) {
				k, p := idx[ax], 0
				for k >= c.shapes[p][ax] {
					k -= c.shapes[p][ax]
					p++
				}
				src := slices.Clone(idx)
				src[ax] = k
				require.Equal(t, vals[p][bcastIndex(c.shapes[p], src)], gv[lin], "%v %v %s at %v", d, c.shapes, kind, idx)
			})
		}
	}
}

func TestConcatAllDTypes(t *testing.T) {
	checkConcat[float32](t)
	checkConcat[float64](t)
	checkConcat[Float16](t)
	checkConcat[BFloat16](t)
	checkConcat[int8](t)
	checkConcat[uint8](t)
	checkConcat[int16](t)
	checkConcat[int32](t)
	checkConcat[int64](t)
	checkConcat[uint32](t)
	checkConcat[bool](t)
}

func TestConcatErrors(t *testing.T) {
	a, err := Zeros[float32](2, 3)
	require.NoError(t, err)
	b, err := Zeros[float32](3, 3)
	require.NoError(t, err)
	_, err = Concat(1, a, b)
	require.ErrorContains(t, err, "operand 1 has shape [3 3], operand 0 has [2 3]: dimension 0 differs")
	_, err = Concat(2, a, b)
	require.ErrorContains(t, err, "axis 2 is out of range")
	_, err = Concat[float32](0)
	require.ErrorContains(t, err, "no operands")
	c, err := Zeros[float32](2)
	require.NoError(t, err)
	_, err = Concat(0, a, c)
	require.ErrorContains(t, err, "ranks differ")
	i, err := Zeros[int32](2, 3)
	require.NoError(t, err)
	_, err = ConcatOp(0, a.Array(), i.Array())
	require.ErrorContains(t, err, "operand 1 is I32, operand 0 is F32")
	_, err = Concat(0, Scalar[float32](1))
	require.ErrorContains(t, err, "scalar")
}

func checkGather[T Element, I int32 | int64](t *testing.T) {
	d := DTypeOf[T]()
	r := rand.New(rand.NewPCG(11, uint64(d)))
	cases := []struct {
		shape Shape
		axis  int
		idx   []I
		ishp  Shape
	}{
		{Shape{5, 3}, 0, []I{4, 0, 0, 2}, Shape{4}},
		{Shape{5, 3}, 1, []I{2, 1}, Shape{2}},
		{Shape{2, 4, 3}, 1, []I{3, 1, 0, 2, 2, 3}, Shape{2, 3}}, // 2-D indices
		{Shape{5, 3}, 0, []I{}, Shape{0}},
		{Shape{5, 3}, -1, []I{1}, Shape{}}, // scalar index drops the axis
		{Shape{4}, 0, []I{3, 3}, Shape{2}},
	}
	for _, c := range cases {
		for _, kind := range viewKinds {
			vals := randValues[T](r, c.shape.NumElements(), 0, 100)
			x := makeView(t, vals, c.shape, kind)
			idx, err := FromSlice(c.idx, c.ishp...)
			require.NoError(t, err)
			got, err := IndexSelect(x, c.axis, idx)
			require.NoError(t, err)
			ax := c.axis
			if ax < 0 {
				ax += len(c.shape)
			}
			want := slices.Concat(c.shape[:ax], c.ishp, c.shape[ax+1:])
			require.True(t, want.Equal(got.Shape()), "%v want %v", got.Shape(), want)
			gv, err := got.Values()
			require.NoError(t, err)
			walkIndex(want, func(lin int, idx []int) {
				ii := idx[ax : ax+len(c.ishp)]
				pos := c.idx[bcastIndex(c.ishp, ii)]
				src := slices.Concat(idx[:ax], []int{int(pos)}, idx[ax+len(c.ishp):])
				require.Equal(t, vals[bcastIndex(c.shape, src)], gv[lin])
			})
		}
	}
}

func TestIndexSelectAllDTypes(t *testing.T) {
	checkGather[float32, int32](t)
	checkGather[float32, int64](t)
	checkGather[float64, int64](t)
	checkGather[Float16, int32](t)
	checkGather[BFloat16, int64](t)
	checkGather[int8, int32](t)
	checkGather[uint8, int64](t)
	checkGather[int16, int32](t)
	checkGather[int32, int64](t)
	checkGather[int64, int32](t)
	checkGather[uint32, int64](t)
	checkGather[bool, int32](t)
}

func TestIndexSelectNonContiguousIndices(t *testing.T) {
	x, err := FromSlice(arange(6), 3, 2)
	require.NoError(t, err)
	base, err := FromSlice([]int64{2, 9, 0, 9, 1, 9}, 6)
	require.NoError(t, err)
	idx, err := base.Slice(0, 0, 6, 2) // 2, 0, 1
	require.NoError(t, err)
	got, err := IndexSelect(x, 0, idx)
	require.NoError(t, err)
	v, err := got.Values()
	require.NoError(t, err)
	assert.Equal(t, []float32{4, 5, 0, 1, 2, 3}, v)
}

func TestIndexSelectErrors(t *testing.T) {
	x, err := Zeros[float32](5, 3)
	require.NoError(t, err)
	idx, err := FromSlice([]int32{1, 5, 2}, 3)
	require.NoError(t, err)
	_, err = IndexSelect(x, 0, idx)
	require.ErrorContains(t, err, "index 5 (position 1 of indices [3]) is out of range [0, 5) for axis 0 of [5 3]")
	neg, err := FromSlice([]int64{-1}, 1)
	require.NoError(t, err)
	_, err = IndexSelect(x, 1, neg)
	require.ErrorContains(t, err, "index -1")
	f, err := Zeros[float32](2)
	require.NoError(t, err)
	_, err = GatherOp(x.Array(), 0, f.Array())
	require.ErrorContains(t, err, "indices F32 [2] must be I32 or I64")
	_, err = IndexSelect(x, 2, neg)
	require.ErrorContains(t, err, "axis 2 is out of range")
	_, err = IndexSelect(Scalar[float32](1), 0, neg)
	require.ErrorContains(t, err, "scalar")
}
