package core

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// refMatMul multiplies row-major a (shape sa) by b (shape sb) in float64
// with numpy matmul rules (1-D operands, broadcast batch axes), returning
// the values, the shape and, per element, the sum of |a||b| terms that
// bounds the rounding error.
func refMatMul(av, bv []float64, sa, sb Shape) ([]float64, []float64, Shape) {
	va, vb := len(sa) == 1, len(sb) == 1
	if va {
		sa = Shape{1, sa[0]}
	}
	if vb {
		sb = Shape{sb[0], 1}
	}
	m, k, n := sa[len(sa)-2], sa[len(sa)-1], sb[len(sb)-1]
	ba, bb := sa[:len(sa)-2], sb[:len(sb)-2]
	batch, err := BroadcastShapes(ba, bb)
	if err != nil {
		panic(err)
	}
	out := append(batch.Clone(), m, n)
	vals := make([]float64, out.NumElements())
	scale := make([]float64, out.NumElements())
	walkIndex(out, func(lin int, idx []int) {
		bi := idx[:len(batch)]
		ia := bcastIndex(ba, bi)
		ib := bcastIndex(bb, bi)
		i, j := idx[len(batch)], idx[len(batch)+1]
		var s, sc float64
		for p := range k {
			x := av[ia*m*k+i*k+p]
			y := bv[ib*k*n+p*n+j]
			s += x * y
			sc += math.Abs(x * y)
		}
		vals[lin], scale[lin] = s, sc
	})
	if vb {
		out = slices.Delete(out, len(out)-1, len(out))
	}
	if va {
		out = slices.Delete(out, len(out)-(2-boolToInt(vb)), len(out)-(1-boolToInt(vb)))
	}
	return vals, scale, out
}

func boolToInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// transposedView returns a [rows, cols] tensor (with leading batch axes)
// holding vals row-major, stored column-major: the .T() of a contiguous
// tensor, so its last two axes are column-contiguous.
func transposedView[T Element](t *testing.T, vals []T, shape Shape) *Tensor[T] {
	t.Helper()
	r := len(shape)
	ts := shape.Clone()
	ts[r-2], ts[r-1] = shape[r-1], shape[r-2]
	base := make([]T, len(vals))
	walkIndex(shape, func(lin int, idx []int) {
		ti := slices.Clone(idx)
		ti[r-2], ti[r-1] = idx[r-1], idx[r-2]
		base[bcastIndex(ts, ti)] = vals[lin]
	})
	x, err := FromSlice(base, ts...)
	require.NoError(t, err)
	xt, err := x.T()
	require.NoError(t, err)
	return xt
}

type mmCase struct{ a, b Shape }

var mmCases = []mmCase{
	{Shape{3, 4}, Shape{4, 5}},
	{Shape{1, 4}, Shape{4, 5}}, // m = 1 (matrix-vector as a row)
	{Shape{3, 4}, Shape{4, 1}}, // n = 1
	{Shape{3, 1}, Shape{1, 5}}, // k = 1
	{Shape{0, 4}, Shape{4, 5}}, // m = 0
	{Shape{3, 4}, Shape{4, 0}}, // n = 0
	{Shape{3, 0}, Shape{0, 5}}, // k = 0: zeros
	{Shape{1, 1}, Shape{1, 1}}, // one element
	{Shape{2, 3, 4}, Shape{2, 4, 5}},
	{Shape{2, 1, 3, 4}, Shape{5, 4, 2}}, // batch axes broadcast both ways
	{Shape{2, 3, 4}, Shape{4, 5}},       // shared weight: batch folds into M
	{Shape{4}, Shape{4, 5}},             // 1-D left
	{Shape{3, 4}, Shape{4}},             // 1-D right
	{Shape{4}, Shape{4}},                // dot product
	{Shape{2, 3, 4}, Shape{4}},
	{Shape{17, 33}, Shape{33, 9}},
}

func checkMatMul[T Numeric](t *testing.T) {
	d := DTypeOf[T]()
	r := rand.New(rand.NewPCG(8, uint64(d)))
	layouts := []string{"contig", "transposed", "stepped", "offset"}
	for _, c := range mmCases {
		for _, la := range layouts {
			for _, lb := range layouts {
				lo := -3.0
				if d == U8 || d == U32 {
					lo = 0
				}
				av := randValues[T](r, c.a.NumElements(), lo, 3)
				bv := randValues[T](r, c.b.NumElements(), lo, 3)
				mk := func(v []T, s Shape, l string) *Tensor[T] {
					if l == "transposed" && len(s) >= 2 {
						return transposedView(t, v, s)
					}
					if l == "transposed" {
						l = "contig"
					}
					return makeView(t, v, s, l)
				}
				a, b := mk(av, c.a, la), mk(bv, c.b, lb)
				got, err := MatMul(a, b)
				msg := name(d, " ", c.a, "x", c.b, " ", la, "/", lb)
				require.NoError(t, err, msg)
				fa, fb := make([]float64, len(av)), make([]float64, len(bv))
				for i := range av {
					fa[i] = toF64(av[i])
				}
				for i := range bv {
					fb[i] = toF64(bv[i])
				}
				want, scale, shape := refMatMul(fa, fb, c.a, c.b)
				require.True(t, shape.Equal(got.Shape()), "%s: shape %v want %v", msg, got.Shape(), shape)
				gv := valuesF64(t, got)
				for i := range want {
					w := want[i]
					if d.IsInteger() {
						w = roundTo[T](w)
						require.Equal(t, w, gv[i], "%s element %d", msg, i)
						continue
					}
					tol := tolFor(d)*math.Abs(w) + 1e-6*scale[i]
					if d == F64 {
						tol = 1e-12 * math.Max(1, scale[i])
					}
					require.LessOrEqual(t, math.Abs(gv[i]-w), tol, "%s element %d = %v want %v", msg, i, gv[i], w)
				}
			}
		}
	}
}

func TestMatMulAllDTypes(t *testing.T) {
	checkMatMul[float32](t)
	checkMatMul[float64](t)
	checkMatMul[Float16](t)
	checkMatMul[BFloat16](t)
	checkMatMul[int8](t)
	checkMatMul[uint8](t)
	checkMatMul[int16](t)
	checkMatMul[int32](t)
	checkMatMul[int64](t)
	checkMatMul[uint32](t)
}

func TestMatMulTransposedViewsAreNotCopied(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	const m, k, n = 7, 5, 6
	av := randValues[float32](r, m*k, -1, 1)
	bv := randValues[float32](r, k*n, -1, 1)
	at := transposedView(t, av, Shape{m, k})
	bt := transposedView(t, bv, Shape{k, n})
	require.False(t, at.IsContiguous())
	require.False(t, bt.IsContiguous())
	// A row-sliced operand keeps unit column stride with a larger row
	// stride: also usable in place.
	big, err := FromSlice(randValues[float32](r, 2*k*n, -1, 1), k, 2*n)
	require.NoError(t, err)
	bs, err := big.Slice(1, 0, n, 1)
	require.NoError(t, err)
	require.False(t, bs.IsContiguous())

	before := sgemmPacks.Load()
	got, err := MatMul(at, bt)
	require.NoError(t, err)
	got2, err := MatMul(at, bs)
	require.NoError(t, err)
	assert.Equal(t, before, sgemmPacks.Load(), "transposed and row-strided views must reach Sgemm without packing")

	want, _, _ := refMatMul(asF64(av), asF64(bv), Shape{m, k}, Shape{k, n})
	assertClose(t, want, valuesF64(t, got), 1e-5, "A^T-view x B^T-view")
	bsv, err := bs.Values()
	require.NoError(t, err)
	want2, _, _ := refMatMul(asF64(av), asF64(bsv), Shape{m, k}, Shape{k, n})
	assertClose(t, want2, valuesF64(t, got2), 1e-5, "A^T-view x row-strided B")

	// A stepped column view cannot be described to BLAS and is packed.
	st, err := big.Slice(1, 0, 2*n, 2)
	require.NoError(t, err)
	_, err = MatMul(at, st)
	require.NoError(t, err)
	assert.Equal(t, before+1, sgemmPacks.Load())
}

func TestMatMulErrors(t *testing.T) {
	a, err := Zeros[float32](2, 3)
	require.NoError(t, err)
	b, err := Zeros[float32](4, 5)
	require.NoError(t, err)
	_, err = MatMul(a, b)
	require.ErrorContains(t, err, "shapes [2 3] and [4 5] do not match")
	c, err := Zeros[float32](2, 3, 4)
	require.NoError(t, err)
	d, err := Zeros[float32](3, 4, 5)
	require.NoError(t, err)
	_, err = MatMul(c, d)
	require.ErrorContains(t, err, "batch")
	_, err = MatMul(Scalar[float32](1), a)
	require.ErrorContains(t, err, "at least one dimension")
	bl, err := Zeros[bool](2, 2)
	require.NoError(t, err)
	_, err = MatMulOp(bl.Array(), bl.Array())
	require.ErrorContains(t, err, "matmul: not defined for dtype BOOL")
	e, err := Zeros[float64](3, 4)
	require.NoError(t, err)
	_, err = MatMulOp(a.Array(), e.Array())
	require.ErrorContains(t, err, "dtypes differ")
}

func TestMatMulFoldsSharedWeightBatch(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 12))
	av := randValues[float32](r, 2*3*4, -1, 1)
	bv := randValues[float32](r, 4*5, -1, 1)
	a, err := FromSlice(av, 2, 3, 4)
	require.NoError(t, err)
	b, err := FromSlice(bv, 4, 5)
	require.NoError(t, err)
	calls := sgemmCalls.Load()
	got, err := MatMul(a, b)
	require.NoError(t, err)
	assert.Equal(t, calls+1, sgemmCalls.Load(), "[2,3,4] x [4,5] is one [6,4] x [4,5] product")
	want, _, _ := refMatMul(asF64(av), asF64(bv), Shape{2, 3, 4}, Shape{4, 5})
	assertClose(t, want, valuesF64(t, got), 1e-5, "folded batch")

	// The other way round the batch cannot fold: one call per entry.
	bb, err := FromSlice(randValues[float32](r, 2*4*5, -1, 1), 2, 4, 5)
	require.NoError(t, err)
	a2, err := FromSlice(av[:12], 3, 4)
	require.NoError(t, err)
	calls = sgemmCalls.Load()
	_, err = MatMul(a2, bb)
	require.NoError(t, err)
	assert.Equal(t, calls+2, sgemmCalls.Load())
}

func TestMatMulBroadcastRowsInsideMatrix(t *testing.T) {
	// b's rows are one row repeated (stride 0): BLAS cannot take a zero
	// leading dimension, so the kernel packs it.
	row, err := FromSlice([]float32{1, 2, 3}, 1, 3)
	require.NoError(t, err)
	b, err := row.BroadcastTo(4, 3)
	require.NoError(t, err)
	a, err := FromSlice(arange(8), 2, 4)
	require.NoError(t, err)
	got, err := MatMul(a, b)
	require.NoError(t, err)
	v, err := got.Values()
	require.NoError(t, err)
	// row sums of a are 6 and 22
	assert.Equal(t, []float32{6, 12, 18, 22, 44, 66}, v)
}

// f16/bf16 operands in a gemm layout (including transposed views) are read
// in place by gemm.SgemmHalf: nothing is packed, and the result matches the
// product of the same values in f32 rounded once.
func TestMatMulHalfReadsInPlace(t *testing.T) {
	for _, dt := range []DType{F16, BF16} {
		x, err := FromSlice(arange(5*7), 5, 7)
		require.NoError(t, err)
		y, err := FromSlice(arange(3*7), 3, 7)
		require.NoError(t, err)
		xh, err := CastOp(x.Array(), dt)
		require.NoError(t, err)
		yh, err := CastOp(y.Array(), dt)
		require.NoError(t, err)
		yt, err := yh.T() // [7, 3], column-contiguous
		require.NoError(t, err)

		packs := sgemmPacks.Load()
		got, err := MatMulOp(xh, yt)
		require.NoError(t, err)
		assert.Equal(t, packs, sgemmPacks.Load(), "%v operands were packed", dt)

		x32, err := CastOp(xh, F32)
		require.NoError(t, err)
		y32, err := CastOp(yt, F32)
		require.NoError(t, err)
		want32, err := MatMulOp(x32, y32)
		require.NoError(t, err)
		want, err := CastOp(want32, dt)
		require.NoError(t, err)
		gb, err := got.Bytes()
		require.NoError(t, err)
		wb, err := want.Bytes()
		require.NoError(t, err)
		assert.Equal(t, wb, gb, "%v", dt)
	}
}
