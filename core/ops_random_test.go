package core

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// Randomised geometry: operands are views with random permutations,
// stepped slices, offsets and stride-0 broadcasts, so that the kernels'
// run merging (geom) meets layouts no hand-written case lists. The
// reference reads operands through Values (the copy kernel's own walk)
// and computes with the naive multi-index helpers.

// randomShape returns a shape of rank 0..4 with dims 1..4, and a 0 dim
// now and then.
func randomShape(r *rand.Rand) Shape {
	s := make(Shape, r.IntN(5))
	for i := range s {
		s[i] = 1 + r.IntN(4)
		if r.IntN(12) == 0 {
			s[i] = 0
		}
	}
	return s
}

// randomViewOf returns a view of exactly shape whose layout is random, and
// its values in row-major order.
func randomViewOf[T Element](t *testing.T, r *rand.Rand, shape Shape, lo, hi float64) (*Tensor[T], []T) {
	t.Helper()
	rank := len(shape)
	// Dimensions that will be broadcast from size 1 (stride 0).
	inner := shape.Clone()
	for i := range inner {
		if inner[i] > 1 && r.IntN(5) == 0 {
			inner[i] = 1
		}
	}
	perm := r.Perm(rank)
	base := make(Shape, rank)
	starts, steps := make([]int, rank), make([]int, rank)
	for i := range rank {
		d := inner[perm[i]]
		steps[i] = 1 + r.IntN(3)
		starts[i] = r.IntN(2)
		base[i] = starts[i] + max(d-1, 0)*steps[i] + 1 + r.IntN(2)
	}
	x, err := FromSlice(randValues[T](r, base.NumElements(), lo, hi), base...)
	require.NoError(t, err)
	for i := range rank {
		d := inner[perm[i]]
		x, err = x.Slice(i, starts[i], starts[i]+max(d-1, 0)*steps[i]+boolToInt(d > 0), steps[i])
		require.NoError(t, err)
		require.Equal(t, d, x.Shape()[i])
	}
	inv := make([]int, rank)
	for i, p := range perm {
		inv[p] = i
	}
	x, err = x.Permute(inv...)
	require.NoError(t, err)
	x, err = x.BroadcastTo(shape...)
	require.NoError(t, err)
	v, err := x.Values()
	require.NoError(t, err)
	return x, v
}

// dropSome returns a shape that broadcasts to s: some leading dims
// removed and some dims set to 1.
func dropSome(r *rand.Rand, s Shape) Shape {
	out := s[r.IntN(len(s)+1):].Clone()
	for i := range out {
		if r.IntN(4) == 0 {
			out[i] = 1
		}
	}
	return out
}

func TestRandomGeometryElementwise(t *testing.T) {
	r := rand.New(rand.NewPCG(20, 20))
	for iter := range 300 {
		out := randomShape(r)
		sa, sb, sc := dropSome(r, out), dropSome(r, out), dropSome(r, out)
		full, err := BroadcastShapes(sa, sb)
		require.NoError(t, err)
		full, err = BroadcastShapes(full, sc)
		require.NoError(t, err)

		a, av := randomViewOf[float32](t, r, sa, -3, 3)
		b, bv := randomViewOf[float32](t, r, sb, -3, 3)
		got, err := Sub(a, b)
		require.NoError(t, err)
		ab, _ := BroadcastShapes(sa, sb)
		want := make([]float64, ab.NumElements())
		walkIndex(ab, func(lin int, idx []int) {
			want[lin] = float64(av[bcastIndex(sa, idx)]) - float64(bv[bcastIndex(sb, idx)])
		})
		assertClose(t, want, valuesF64(t, got), 1e-6, name("sub iter ", iter, " ", sa, sb))

		c, cv := randomViewOf[bool](t, r, sc, 0, 1)
		ia, iav := randomViewOf[int16](t, r, sa, -100, 100)
		ib, ibv := randomViewOf[int16](t, r, sb, -100, 100)
		w, err := Where(c, ia, ib)
		require.NoError(t, err)
		wv, err := w.Values()
		require.NoError(t, err)
		walkIndex(full, func(lin int, idx []int) {
			e := ibv[bcastIndex(sb, idx)]
			if cv[bcastIndex(sc, idx)] {
				e = iav[bcastIndex(sa, idx)]
			}
			require.Equal(t, e, wv[lin], "where iter %d at %v", iter, idx)
		})

		h, hv := randomViewOf[float32](t, r, out, -70000, 70000)
		hc, err := Cast[Float16](h)
		require.NoError(t, err)
		hcv, err := hc.Values()
		require.NoError(t, err)
		for i, v := range hv {
			want := refCast(F16, true, float64(v), 0)
			require.Equal(t, want, float64(hcv[i].Float32()), "cast iter %d element %d", iter, i)
		}
	}
}

func TestRandomGeometryReductions(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 21))
	for iter := range 300 {
		shape := randomShape(r)
		var axes []int
		for i := range shape {
			if r.IntN(2) == 0 {
				axes = append(axes, i-len(shape)*r.IntN(2)) // sometimes negative
			}
		}
		ax := normTestAxes(shape, axes)
		if len(axes) == 0 {
			ax = identityDims(len(shape))
		}
		x, xv := randomViewOf[float64](t, r, shape, -5, 5)
		fv := make([]float64, len(xv))
		copy(fv, xv)
		for _, op := range []string{"sum", "max", "var"} {
			var got *Array
			var err error
			if op == "var" {
				got, err = VarianceOp(x.Array(), axes, 0, true)
			} else {
				got, err = ReduceOp(op, x.Array(), axes, true)
			}
			count := 1
			for _, a := range ax {
				count *= shape[a]
			}
			if op == "max" && count == 0 {
				_, outShape := refReduce(fv, shape, ax, func([]float64) float64 { return 0 })
				if outShape.NumElements() > 0 {
					require.Error(t, err)
					continue
				}
			}
			require.NoError(t, err, "%s %v axes %v", op, shape, axes)
			want, _ := refReduce(fv, shape, ax, refAgg(op, 0))
			assertClose(t, want, valuesF64(t, mustAs[float64](t, got)), 1e-12, name(op, " iter ", iter, " ", shape, " axes ", axes))
		}
		if len(shape) > 0 {
			axis := r.IntN(len(shape))
			sm, err := LogSoftmax(x, axis)
			require.NoError(t, err)
			want := make([]float64, len(fv))
			rowShape := shape.Clone()
			rowShape[axis] = 1
			walkIndex(rowShape, func(_ int, idx []int) {
				n := shape[axis]
				row, lin := make([]float64, n), make([]int, n)
				for k := range n {
					full := slices.Clone(idx)
					full[axis] = k
					lin[k] = bcastIndex(shape, full)
					row[k] = fv[lin[k]]
				}
				for k, v := range refSoftmax(row, true) {
					want[lin[k]] = v
				}
			})
			assertClose(t, want, valuesF64(t, sm), 1e-12, name("log_softmax iter ", iter, " ", shape, " axis ", axis))
		}
	}
}

func TestRandomGeometryMatMulAndConcat(t *testing.T) {
	r := rand.New(rand.NewPCG(22, 22))
	for iter := range 200 {
		batch := randomShape(r)
		if len(batch) > 2 {
			batch = batch[:2]
		}
		m, k, n := r.IntN(5), r.IntN(5), r.IntN(5)
		sa := append(dropSome(r, batch), m, k)
		sb := append(dropSome(r, batch), k, n)
		a, av := randomViewOf[float32](t, r, sa, -2, 2)
		b, bv := randomViewOf[float32](t, r, sb, -2, 2)
		got, err := MatMul(a, b)
		require.NoError(t, err)
		want, scale, shape := refMatMul(asF64(av), asF64(bv), sa, sb)
		require.True(t, shape.Equal(got.Shape()))
		gv := valuesF64(t, got)
		for i := range want {
			require.InDelta(t, want[i], gv[i], 1e-6*math.Max(1, scale[i]), "matmul iter %d %v x %v", iter, sa, sb)
		}

		shape0 := randomShape(r)
		if len(shape0) == 0 {
			continue
		}
		axis := r.IntN(len(shape0))
		parts := 1 + r.IntN(3)
		var ts []*Tensor[uint8]
		var vals [][]uint8
		var shapes []Shape
		for range parts {
			s := shape0.Clone()
			s[axis] = r.IntN(4)
			x, xv := randomViewOf[uint8](t, r, s, 0, 200)
			ts, vals, shapes = append(ts, x), append(vals, xv), append(shapes, s)
		}
		cat, err := Concat(axis, ts...)
		require.NoError(t, err)
		cv, err := cat.Values()
		require.NoError(t, err)
		walkIndex(cat.Shape(), func(lin int, idx []int) {
			kk, p := idx[axis], 0
			for kk >= shapes[p][axis] {
				kk -= shapes[p][axis]
				p++
			}
			src := slices.Clone(idx)
			src[axis] = kk
			require.Equal(t, vals[p][bcastIndex(shapes[p], src)], cv[lin], "concat iter %d", iter)
		})
	}
}
