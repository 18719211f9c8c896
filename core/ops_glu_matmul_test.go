package core

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// silu_mul_matmul equals silu_mul of gu's halves then matmul, exactly
// (the CPU kernel composes the same kernels), on one row, several, K of
// one, and a transposed weight.
func TestSiLUMulMatMul(t *testing.T) {
	r := rand.New(rand.NewPCG(25, 26))
	for _, c := range []struct{ m, k, n int }{{1, 1, 1}, {1, 16, 7}, {3, 5, 4}, {2, 64, 33}} {
		gu, err := FromSlice(randValues[float32](r, c.m*2*c.k, -3, 3), c.m, 2*c.k)
		require.NoError(t, err)
		w, err := FromSlice(randValues[float32](r, c.n*c.k, -1, 1), c.n, c.k)
		require.NoError(t, err)
		wt, err := w.Array().T()
		require.NoError(t, err)
		got, err := SiLUMulMatMulOp(gu.Array(), wt)
		require.NoError(t, err)
		g, u, err := gatedParts(gu.Array())
		require.NoError(t, err)
		h, err := SiLUMulOp(g, u)
		require.NoError(t, err)
		want, err := MatMulOp(h, wt)
		require.NoError(t, err)
		require.Equal(t, Shape{c.m, c.n}, got.Shape())
		assert.Equal(t, arrayF32(t, want), arrayF32(t, got), "%+v", c)
	}
	gu, err := Zeros[float32](1, 6)
	require.NoError(t, err)
	w, err := Zeros[float32](4, 2)
	require.NoError(t, err)
	_, err = SiLUMulMatMulOp(gu.Array(), w.Array())
	require.ErrorContains(t, err, "[K=3, N]")
}
