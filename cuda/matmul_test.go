package cuda

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
)

// refMatmul multiplies logical row-major values: a [B, M, K] @ b [B, K, N].
func refMatmul(va, vb []float64, batch, m, k, n int) []float64 {
	out := make([]float64, batch*m*n)
	for p := range batch {
		for i := range m {
			for j := range n {
				s := 0.0
				for l := range k {
					s += va[p*m*k+i*k+l] * vb[p*k*n+l*n+j]
				}
				out[p*m*n+i*n+j] = s
			}
		}
	}
	return out
}

func TestMatmulParity(t *testing.T) {
	dev := gpu(t)
	r := rand.New(rand.NewPCG(13, 14))
	cases := []struct {
		a, b    input
		m, k, n int
		batch   core.Shape
	}{
		{input{core.Shape{1, 1}, ident}, input{core.Shape{1, 1}, ident}, 1, 1, 1, nil},
		{input{core.Shape{3, 5}, ident}, input{core.Shape{5, 7}, ident}, 3, 5, 7, nil},
		{input{core.Shape{65, 33}, ident}, input{core.Shape{33, 17}, ident}, 65, 33, 17, nil},
		// Transposed views go to cuBLAS without copies.
		{input{core.Shape{33, 65}, permute(1, 0)}, input{core.Shape{33, 17}, ident}, 65, 33, 17, nil},
		{input{core.Shape{65, 33}, ident}, input{core.Shape{17, 33}, permute(1, 0)}, 65, 33, 17, nil},
		{input{core.Shape{33, 65}, permute(1, 0)}, input{core.Shape{17, 33}, permute(1, 0)}, 65, 33, 17, nil},
		// A column slice (stride 2) must be gathered first.
		{input{core.Shape{9, 16}, slice(1, 0, 16, 2)}, input{core.Shape{8, 5}, ident}, 9, 8, 5, nil},
		// K = 0 gives zeros; M = 0 gives nothing.
		{input{core.Shape{4, 0}, ident}, input{core.Shape{0, 3}, ident}, 4, 0, 3, nil},
		{input{core.Shape{0, 3}, ident}, input{core.Shape{3, 2}, ident}, 0, 3, 2, nil},
		// Batched, with b broadcast over the outer batch dimension.
		{input{core.Shape{2, 3, 4, 6}, ident}, input{core.Shape{3, 6, 5}, bcast(2, 3, 6, 5)}, 4, 6, 5, core.Shape{2, 3}},
		{input{core.Shape{3, 6, 4}, permute(0, 2, 1)}, input{core.Shape{3, 6, 5}, ident}, 4, 6, 5, core.Shape{3}},
	}
	for _, api := range []bool{false, true} {
		for _, dt := range floatTypes {
			for ci, c := range cases {
				t.Run(fmt.Sprintf("cublaslt=%v/%v/%d", api, dt, ci), func(t *testing.T) {
					dev.useLt = api
					defer func() { dev.useLt = false }()
					hva, da, va := prepare(t, dev, dt, c.a, random(r, c.a.base.NumElements(), -1, 1, false))
					hvb, db, vb := prepare(t, dev, dt, c.b, random(r, c.b.base.NumElements(), -1, 1, false))
					batch := c.batch.NumElements()
					want := round(dt, refMatmul(va, vb, batch, c.m, c.k, c.n))
					outShape := append(c.batch.Clone(), c.m, c.n)
					got := runOn(t, dev, "matmul", dt, outShape, nil, 0, da, db)
					near(t, dt, want, got, float64(c.k), "matmul")
					near(t, dt, cpuRef(t, "matmul", []*core.Array{hva, hvb}, dt, outShape, nil, 0), got, float64(c.k), "matmul vs core CPU")
				})
			}
		}
	}
}

func TestMatLayout(t *testing.T) {
	op, ok := matLayout(4, 3, 3, 1)
	require.True(t, ok)
	require.Equal(t, operand{false, 3}, op, "row-major")
	op, ok = matLayout(4, 3, 1, 4)
	require.True(t, ok)
	require.Equal(t, operand{true, 4}, op, "transposed view")
	op, ok = matLayout(4, 3, 8, 1)
	require.True(t, ok)
	require.Equal(t, operand{false, 8}, op, "row slice of a wider matrix")
	_, ok = matLayout(4, 3, 6, 2)
	require.False(t, ok, "column stride 2 needs a copy")
	_, ok = matLayout(4, 3, 0, 1)
	require.False(t, ok, "broadcast rows need a copy")
	op, ok = matLayout(1, 5, 0, 1)
	require.True(t, ok)
	require.Equal(t, operand{false, 5}, op, "one row: any row stride")
}
