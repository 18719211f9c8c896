package core

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// Tests of the transformer ops (rms_norm, rope, causal_attention) against
// direct float64 evaluations of their formulas, over every float dtype and
// shapes with empty, one-element and odd axes, on contiguous and strided
// inputs (the ops make strided ones contiguous first).

// asF64 widens values of any element type to float64.
func asF64[T Element](v []T) []float64 {
	out := make([]float64, len(v))
	for i, e := range v {
		out[i] = toF64(e)
	}
	return out
}

func refRMSNorm(x, w []float64, d int, eps float64) []float64 {
	out := make([]float64, len(x))
	for r := 0; r*d < len(x); r++ {
		var ss float64
		for _, v := range x[r*d : (r+1)*d] {
			ss += v * v
		}
		inv := 1 / math.Sqrt(ss/float64(d)+eps)
		for i := range d {
			out[r*d+i] = x[r*d+i] * inv * w[i]
		}
	}
	return out
}

func testRMSNorm[T Float](t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	// {9, 7283}: above parallelElementwise, rows split over the workers.
	for _, shape := range []Shape{{1}, {3, 5}, {2, 3, 64}, {0, 4}, {4, 1}, {2, 17}, {9, 7283}} {
		for _, kind := range []string{"contig", "permuted", "offset"} {
			d := shape[len(shape)-1]
			xv := randValues[T](r, shape.NumElements(), -3, 3)
			wv := randValues[T](r, d, -2, 2)
			x := makeView(t, xv, shape, kind)
			w, err := FromSlice(wv, d)
			require.NoError(t, err)
			y, err := RMSNorm(x, w, 1e-5)
			require.NoError(t, err)
			require.Equal(t, shape, y.Shape())
			want := refRMSNorm(asF64(xv), asF64(wv), d, 1e-5)
			assertClose(t, want, valuesF64(t, y), 4*tolFor(DTypeOf[T]()), name("rms_norm ", DTypeOf[T](), shape, kind))
		}
	}
}

func TestRMSNorm(t *testing.T) {
	t.Run("f32", testRMSNorm[float32])
	t.Run("f64", testRMSNorm[float64])
	t.Run("f16", testRMSNorm[Float16])
	t.Run("bf16", testRMSNorm[BFloat16])
}

func TestRMSNormErrors(t *testing.T) {
	x, _ := Zeros[float32](2, 4)
	w3, _ := Zeros[float32](3)
	w4, _ := Zeros[float32](4)
	w64, _ := Zeros[float64](4)
	_, err := RMSNorm(x, w3, 1e-5)
	require.ErrorContains(t, err, "does not match the last axis")
	_, err = RMSNormOp(x.Array(), w64.Array(), 1e-5)
	require.ErrorContains(t, err, "rms_norm")
	_, err = RMSNorm(x, w4, -1)
	require.ErrorContains(t, err, "eps")
	i, _ := Zeros[int32](2, 4)
	_, err = RMSNormOp(i.Array(), i.Array(), 0)
	require.Error(t, err)
	_, err = RMSNormOp(nil, w4.Array(), 0)
	require.Error(t, err)
}

// refRoPE rotates x [..., T, H, D] by angles pos*freq[j].
func refRoPE(x []float64, shape Shape, cos, sin []float64) []float64 {
	r := len(shape)
	t, h, d := shape[r-3], shape[r-2], shape[r-1]
	out := make([]float64, len(x))
	for i := 0; i*d < len(x); i++ {
		pos := i / h % t
		for j := range d / 2 {
			c, s := cos[pos*d/2+j], sin[pos*d/2+j]
			x1, x2 := x[i*d+j], x[i*d+j+d/2]
			out[i*d+j] = x1*c - x2*s
			out[i*d+j+d/2] = x2*c + x1*s
		}
	}
	return out
}

func testRoPE[T Float](t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, shape := range []Shape{{1, 1, 2}, {5, 3, 8}, {2, 4, 2, 16}, {0, 2, 4}, {3, 1, 6}, {7, 2, 0}} {
		for _, kind := range []string{"contig", "permuted", "stepped"} {
			rk := len(shape)
			tl, d := shape[rk-3], shape[rk-1]
			xv := randValues[T](r, shape.NumElements(), -2, 2)
			ang := randValues[float64](r, tl*d/2, -4, 4)
			cv, sv := make([]float32, len(ang)), make([]float32, len(ang))
			for i, a := range ang {
				cv[i], sv[i] = float32(math.Cos(a)), float32(math.Sin(a))
			}
			ct, err := FromSlice(cv, tl, d/2)
			require.NoError(t, err)
			st, err := FromSlice(sv, tl, d/2)
			require.NoError(t, err)
			y, err := RoPE(makeView(t, xv, shape, kind), ct, st)
			require.NoError(t, err)
			want := refRoPE(asF64(xv), shape, asF64(cv), asF64(sv))
			assertClose(t, want, valuesF64(t, y), 2*tolFor(DTypeOf[T]()), name("rope ", DTypeOf[T](), shape, kind))
		}
	}
}

func TestRoPE(t *testing.T) {
	t.Run("f32", testRoPE[float32])
	t.Run("f64", testRoPE[float64])
	t.Run("f16", testRoPE[Float16])
	t.Run("bf16", testRoPE[BFloat16])
}

func TestRoPEPreservesNormAndRotatesByPosition(t *testing.T) {
	// A rotation keeps each (x[j], x[j+D/2]) pair's length; at position 0
	// (angle 0) it is the identity.
	x, err := FromSlice([]float32{1, 2, 3, 4, 1, 2, 3, 4}, 2, 1, 4)
	require.NoError(t, err)
	ct, _ := FromSlice([]float32{1, 1, 0, float32(math.Cos(1))}, 2, 2)
	st, _ := FromSlice([]float32{0, 0, 1, float32(math.Sin(1))}, 2, 2)
	y, err := RoPE(x, ct, st)
	require.NoError(t, err)
	v, err := y.Values()
	require.NoError(t, err)
	require.Equal(t, []float32{1, 2, 3, 4}, v[:4])
	// position 1: pair (1,3) rotated by 90°, pair (2,4) by 1 radian.
	require.InDelta(t, -3, v[4], 1e-6)
	require.InDelta(t, 1, v[6], 1e-6)
	require.InDelta(t, math.Hypot(2, 4), math.Hypot(float64(v[5]), float64(v[7])), 1e-5)
}

func TestRoPEErrors(t *testing.T) {
	x, _ := Zeros[float32](2, 3, 4)
	good, _ := Zeros[float32](2, 2)
	bad, _ := Zeros[float32](3, 2)
	f64t, _ := Zeros[float64](2, 2)
	_, err := RoPE(x, good, bad)
	require.ErrorContains(t, err, "[T, D/2]")
	_, err = RoPEOp(x.Array(), f64t.Array(), good.Array())
	require.ErrorContains(t, err, "want F32")
	odd, _ := Zeros[float32](2, 3, 5)
	_, err = RoPE(odd, good, good)
	require.ErrorContains(t, err, "even head size")
	flat, _ := Zeros[float32](4, 4)
	_, err = RoPE(flat, good, good)
	require.Error(t, err)
}

// refAttention is the textbook formula over float64 copies.
func refAttention(q, k, v []float64, qs, ks Shape, p AttentionParams) []float64 {
	r := len(qs)
	tq, hq, d := qs[r-3], qs[r-2], qs[r-1]
	tk, hkv := ks[r-3], ks[r-2]
	out := make([]float64, len(q))
	if len(q) == 0 {
		return out
	}
	batches := len(q) / (tq * hq * d)
	for b := range batches {
		for h := range hq {
			g := h / (hq / hkv)
			for i := range tq {
				lim := i + tk - tq
				s := make([]float64, lim+1)
				mx := math.Inf(-1)
				for j := range s {
					if p.Window > 0 && lim-j >= p.Window {
						s[j] = math.Inf(-1) // outside the window: masked
						continue
					}
					for e := range d {
						s[j] += q[((b*tq+i)*hq+h)*d+e] * k[((b*tk+j)*hkv+g)*d+e]
					}
					s[j] *= p.Scale
					if p.SoftCap > 0 {
						s[j] = p.SoftCap * math.Tanh(s[j]/p.SoftCap)
					}
					mx = math.Max(mx, s[j])
				}
				var sum float64
				for j := range s {
					s[j] = math.Exp(s[j] - mx)
					sum += s[j]
				}
				for j := range s {
					for e := range d {
						out[((b*tq+i)*hq+h)*d+e] += s[j] / sum * v[((b*tk+j)*hkv+g)*d+e]
					}
				}
			}
		}
	}
	return out
}

func testAttention[T Float](t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	cases := []struct{ q, k Shape }{
		{Shape{1, 1, 1}, Shape{1, 1, 1}},
		{Shape{4, 4, 8}, Shape{4, 2, 8}},       // grouped-query, full prompt
		{Shape{1, 4, 8}, Shape{9, 2, 8}},       // one decode step after 8 cached
		{Shape{3, 6, 5}, Shape{7, 3, 5}},       // odd sizes, queries in the middle
		{Shape{2, 3, 2, 4}, Shape{2, 5, 1, 4}}, // batch axis, multi-query
		{Shape{0, 2, 4}, Shape{3, 2, 4}},       // no queries
		{Shape{2, 2, 0}, Shape{2, 2, 0}},       // empty heads
		{Shape{40, 8, 32}, Shape{40, 8, 32}},   // enough work to go parallel
		{Shape{1, 8, 128}, Shape{300, 2, 128}}, // a decode step over a long cache (float32 sums of 128 and 300 terms)
		{Shape{5, 4, 67}, Shape{203, 2, 67}},   // odd head size (unrolled loops' tails), parallel
	}
	for _, c := range cases {
		for _, kind := range []string{"contig", "permuted"} {
			ks := c.k
			qv := randValues[T](r, c.q.NumElements(), -1, 1)
			kv := randValues[T](r, ks.NumElements(), -1, 1)
			vv := randValues[T](r, ks.NumElements(), -1, 1)
			scale := 1 / math.Sqrt(float64(max(1, c.q[len(c.q)-1])))
			y, err := CausalAttention(makeView(t, qv, c.q, kind), makeView(t, kv, ks, kind), makeView(t, vv, ks, "contig"), scale)
			require.NoError(t, err)
			require.Equal(t, c.q, y.Shape())
			want := refAttention(asF64(qv), asF64(kv), asF64(vv), c.q, ks, AttentionParams{Scale: scale})
			assertClose(t, want, valuesF64(t, y), 2*tolFor(DTypeOf[T]()), name("attention ", DTypeOf[T](), c.q, ks, kind))
			// Sliding windows shorter than, equal to and longer than the
			// keys, with and without a soft cap (scores are scaled up so
			// the cap bites).
			for _, p := range []AttentionParams{
				{Scale: 3 * scale, Window: 1},
				{Scale: 3 * scale, Window: 3, SoftCap: 0.5},
				{Scale: 3 * scale, Window: max(1, ks[len(ks)-3])},
				{Scale: 3 * scale, Window: 50},
				{Scale: 3 * scale, SoftCap: 2},
			} {
				y, err := Attention(makeView(t, qv, c.q, kind), makeView(t, kv, ks, kind), makeView(t, vv, ks, "contig"), p)
				require.NoError(t, err)
				want := refAttention(asF64(qv), asF64(kv), asF64(vv), c.q, ks, p)
				assertClose(t, want, valuesF64(t, y), 2*tolFor(DTypeOf[T]()), name(fmt.Sprintf("attention %+v ", p), DTypeOf[T](), c.q, ks, kind))
			}
		}
	}
}

func TestAttentionWindowOfOneReturnsOwnValue(t *testing.T) {
	// A window of 1 leaves each query its own key alone: out = v at its
	// position, whatever the scores.
	q, _ := FromSlice([]float32{1, 0, 0, 1, 3, 3}, 3, 1, 2)
	k, _ := FromSlice([]float32{5, 5, -5, 9, 1, 2}, 3, 1, 2)
	v, _ := FromSlice([]float32{7, 8, 100, 200, -1, -2}, 3, 1, 2)
	y, err := Attention(q, k, v, AttentionParams{Scale: 1, Window: 1})
	require.NoError(t, err)
	got, err := y.Values()
	require.NoError(t, err)
	require.Equal(t, []float32{7, 8, 100, 200, -1, -2}, got)
	_, err = Attention(q, k, v, AttentionParams{Scale: 1, Window: -1})
	require.ErrorContains(t, err, "window")
	_, err = Attention(q, k, v, AttentionParams{Scale: 1, SoftCap: math.NaN()})
	require.ErrorContains(t, err, "soft cap")
}

func TestCausalAttention(t *testing.T) {
	t.Run("f32", testAttention[float32])
	t.Run("f64", testAttention[float64])
	t.Run("f16", testAttention[Float16])
	t.Run("bf16", testAttention[BFloat16])
}

func TestCausalAttentionFirstQuerySeesOnlyItself(t *testing.T) {
	// With Tq = Tk the first query attends to key 0 alone, so its output
	// is v[0] whatever the scores.
	q, _ := FromSlice([]float32{1, 0, 0, 1}, 2, 1, 2)
	k, _ := FromSlice([]float32{5, 5, -5, 9}, 2, 1, 2)
	v, _ := FromSlice([]float32{7, 8, 100, 200}, 2, 1, 2)
	y, err := CausalAttention(q, k, v, 1)
	require.NoError(t, err)
	got, err := y.Values()
	require.NoError(t, err)
	require.Equal(t, []float32{7, 8}, got[:2])
	// second query: scores 5 and 9 -> weights e^5, e^9.
	w0 := math.Exp(5) / (math.Exp(5) + math.Exp(9))
	require.InDelta(t, w0*7+(1-w0)*100, got[2], 1e-4)
}

func TestCausalAttentionErrors(t *testing.T) {
	q, _ := Zeros[float32](2, 4, 8)
	k3, _ := Zeros[float32](3, 3, 8)
	k, _ := Zeros[float32](3, 2, 8)
	short, _ := Zeros[float32](1, 2, 8)
	d4, _ := Zeros[float32](3, 2, 4)
	k64, _ := Zeros[float64](3, 2, 8)
	_, err := CausalAttention(q, k3, k3, 1)
	require.ErrorContains(t, err, "do not divide")
	_, err = CausalAttention(q, short, short, 1)
	require.ErrorContains(t, err, "last of the key positions")
	_, err = CausalAttention(q, d4, d4, 1)
	require.ErrorContains(t, err, "head size")
	_, err = CausalAttention(q, k, d4, 1)
	require.ErrorContains(t, err, "k and v alike")
	_, err = CausalAttentionOp(q.Array(), k64.Array(), k64.Array(), 1)
	require.Error(t, err)
	_, err = CausalAttention(q, k, k, math.NaN())
	require.ErrorContains(t, err, "not finite")
	b, _ := Zeros[float32](2, 2, 4, 8)
	_, err = CausalAttention(b, k, k, 1)
	require.Error(t, err)
}
