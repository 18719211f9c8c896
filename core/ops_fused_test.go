package core

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSiLUMul(t *testing.T) {
	t.Run("f32", testSiLUMul[float32])
	t.Run("f64", testSiLUMul[float64])
	t.Run("f16", testSiLUMul[Float16])
	t.Run("bf16", testSiLUMul[BFloat16])
}

func testSiLUMul[T Float](t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	// {5, 13109}: above parallelElementwise (split over the workers,
	// with a tail that is not a multiple of 16).
	for _, shape := range []Shape{{1}, {0, 3}, {3, 5}, {2, 3, 17}, {5, 13109}} {
		for _, kind := range []string{"contig", "permuted", "offset"} {
			gv := randValues[T](r, shape.NumElements(), -6, 6)
			uv := randValues[T](r, shape.NumElements(), -2, 2)
			g := makeView(t, gv, shape, kind)
			u, err := FromSlice(uv, shape...)
			require.NoError(t, err)
			gc, err := g.Contiguous()
			require.NoError(t, err)
			y, err := SiLUMulOp(g.Array(), u.Array())
			require.NoError(t, err)
			require.Equal(t, shape, y.Shape())
			want := make([]float64, len(uv))
			gf := valuesF64(t, gc)
			for i, uu := range asF64(uv) {
				want[i] = gf[i] / (1 + math.Exp(-gf[i])) * uu
			}
			yt, err := As[T](y)
			require.NoError(t, err)
			assertClose(t, want, valuesF64(t, yt), 2*tolFor(DTypeOf[T]()), name("silu_mul ", DTypeOf[T](), shape, kind))
		}
	}
	a, err := FromSlice([]T{1, 2}, 2)
	require.NoError(t, err)
	b, err := FromSlice([]T{1, 2, 3}, 3)
	require.NoError(t, err)
	_, err = SiLUMulOp(a.Array(), b.Array())
	require.ErrorContains(t, err, "differ")
}
