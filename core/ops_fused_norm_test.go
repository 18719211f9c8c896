package core

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAddRMSNorm(t *testing.T) {
	t.Run("f32", testAddRMSNorm[float32])
	t.Run("f64", testAddRMSNorm[float64])
	t.Run("f16", testAddRMSNorm[Float16])
	t.Run("bf16", testAddRMSNorm[BFloat16])
}

// add_rms_norm equals add then rms_norm exactly: the same roundings in
// the same order.
func testAddRMSNorm[T Float](t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for _, shape := range []Shape{{1}, {1, 1}, {0, 3}, {3, 5}, {2, 3, 17}, {1, 2048}, {7, 33}, {40, 2048}} { // 40×2048: a prompt's rows, split over the workers
		for _, kind := range []string{"contig", "permuted"} {
			n := shape.NumElements()
			x := makeView(t, randValues[T](r, n, -3, 3), shape, kind)
			res, err := FromSlice(randValues[T](r, n, -3, 3), shape...)
			require.NoError(t, err)
			d := shape[len(shape)-1]
			w, err := FromSlice(randValues[T](r, d, 0.5, 1.5), d)
			require.NoError(t, err)
			s, y, err := AddRMSNormOp(x.Array(), res.Array(), w.Array(), 1e-5)
			require.NoError(t, err)
			ws, err := BinaryOp("add", x.Array(), res.Array())
			require.NoError(t, err)
			wy, err := RMSNormOp(ws, w.Array(), 1e-5)
			require.NoError(t, err)
			require.Equal(t, shape, s.Shape())
			require.Equal(t, shape, y.Shape())
			msg := name("add_rms_norm ", DTypeOf[T](), shape, kind)
			assert.Equal(t, values(t, ws), values(t, s), msg+" sum")
			assert.Equal(t, values(t, wy), values(t, y), msg+" norm")
		}
	}
	a, err := FromSlice([]T{1, 2}, 2)
	require.NoError(t, err)
	b, err := FromSlice([]T{1, 2, 3}, 3)
	require.NoError(t, err)
	_, _, err = AddRMSNormOp(a.Array(), b.Array(), b.Array(), 1e-5)
	require.ErrorContains(t, err, "differ")
	_, _, err = AddRMSNormOp(b.Array(), b.Array(), a.Array(), 1e-5)
	require.ErrorContains(t, err, "last axis")
}

// values returns a's elements as float64 (any float dtype, any device).
func values(t *testing.T, a *Array) []float64 {
	t.Helper()
	h, err := a.To(CPU())
	require.NoError(t, err)
	f, err := CastOp(h, F64)
	require.NoError(t, err)
	tt, err := As[float64](f)
	require.NoError(t, err)
	v, err := tt.Values()
	require.NoError(t, err)
	return v
}

func TestRoPECache(t *testing.T) {
	t.Run("f32", testRoPECache[float32])
	t.Run("f64", testRoPECache[float64])
	t.Run("f16", testRoPECache[Float16])
	t.Run("bf16", testRoPECache[BFloat16])
}

// rope_cache equals rope on the query and key columns and write_rows of
// the keys and values, at several positions and shapes (one head, one
// position, head size 2, more rows than one).
func testRoPECache[T Float](t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	for _, c := range []struct{ tq, h, hkv, d, cap, pos int }{
		{1, 1, 1, 2, 1, 0}, {1, 4, 2, 8, 6, 5}, {3, 4, 1, 6, 7, 2}, {2, 6, 3, 4, 2, 0}, {5, 2, 2, 10, 9, 4},
	} {
		msg := name("rope_cache ", DTypeOf[T](), c)
		w := (c.h + 2*c.hkv) * c.d
		qkv, err := FromSlice(randValues[T](r, c.tq*w, -2, 2), c.tq, w)
		require.NoError(t, err)
		cv, err := FromSlice(randValues[float32](r, c.tq*c.d/2, -1, 1), c.tq, c.d/2)
		require.NoError(t, err)
		sv, err := FromSlice(randValues[float32](r, c.tq*c.d/2, -1, 1), c.tq, c.d/2)
		require.NoError(t, err)
		init := randValues[T](r, c.cap*c.hkv*c.d, -1, 1)
		cache := func() *Array {
			a, err := FromSlice(append([]T(nil), init...), c.cap, c.hkv, c.d)
			require.NoError(t, err)
			return a.Array()
		}
		kc, vc, wk, wv := cache(), cache(), cache(), cache()
		pos := posArray(t, c.pos)
		q, err := RoPECacheOp(qkv.Array(), cv.Array(), sv.Array(), pos, kc, vc, c.h)
		require.NoError(t, err, msg)
		require.Equal(t, Shape{c.tq, c.h, c.d}, q.Shape())

		cols := func(lo, n int) *Array {
			s, err := qkv.Array().Slice(1, lo*c.d, (lo+n)*c.d, 1)
			require.NoError(t, err)
			s, err = s.Contiguous()
			require.NoError(t, err)
			s, err = s.Reshape(c.tq, n, c.d)
			require.NoError(t, err)
			return s
		}
		wq, err := RoPEOp(cols(0, c.h), cv.Array(), sv.Array())
		require.NoError(t, err)
		rk, err := RoPEOp(cols(c.h, c.hkv), cv.Array(), sv.Array())
		require.NoError(t, err)
		require.NoError(t, WriteRowsOp(wk, rk, pos))
		require.NoError(t, WriteRowsOp(wv, cols(c.h+c.hkv, c.hkv), pos))
		assert.Equal(t, values(t, wq), values(t, q), msg+" q")
		assert.Equal(t, values(t, wk), values(t, kc), msg+" k cache")
		assert.Equal(t, values(t, wv), values(t, vc), msg+" v cache")
	}
	qkv, err := Zeros[T](1, 4*4)
	require.NoError(t, err)
	tab, err := Zeros[float32](1, 2)
	require.NoError(t, err)
	kc, err := Zeros[T](2, 1, 4)
	require.NoError(t, err)
	vc, err := Zeros[T](2, 1, 4)
	require.NoError(t, err)
	_, err = RoPECacheOp(qkv.Array(), tab.Array(), tab.Array(), posArray(t, 0), kc.Array(), vc.Array(), 3)
	require.ErrorContains(t, err, "must be [T")
	_, err = RoPECacheOp(qkv.Array(), tab.Array(), tab.Array(), posArray(t, 2), kc.Array(), vc.Array(), 2)
	require.ErrorContains(t, err, "outside")
}
