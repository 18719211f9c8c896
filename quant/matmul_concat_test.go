package quant

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
)

// core.QuantizedMatMulConcatOp gives, column for column, what
// core.QuantizedMatMulOp gives for each weight on its own: the same
// kernels on the same quantized input, with the rows of all weights in
// one job. Weights of one scheme, of schemes sharing an input layout or
// not (Q4_0 + Q8_0 + Q6_K), with one that has no integer kernel (Q4_K)
// and an MLX affine one (run apart and copied into place); N from 1 to
// sizes that split the job over goroutines across weight boundaries;
// m = 1 (decode), 5 (four-input kernel and one row left) and 33.
func TestQuantizedMatMulConcatMatchesEachWeight(t *testing.T) {
	r := rand.New(rand.NewPCG(71, 72))
	const k = 4096
	affine := func(n int) *core.Array {
		wt, err := core.FromSlice(randomX(r, n*k), n, k)
		require.NoError(t, err)
		w, err := Quantize(wt.Array(), 4, 64)
		require.NoError(t, err)
		return w
	}
	block := func(s core.Scheme, n int) *core.Array {
		w, err := FromBlocks(randomBlocks(r, s, n*k/BlockValues(s)), s, core.Shape{n, k})
		require.NoError(t, err)
		return w
	}
	cases := []struct {
		name string
		ws   func() []*core.Array
	}{
		{"q4_0 qkv", func() []*core.Array {
			return []*core.Array{block(core.SchemeQ4_0, 96), block(core.SchemeQ4_0, 32), block(core.SchemeQ4_0, 32)}
		}},
		{"q8_0 gate up", func() []*core.Array {
			return []*core.Array{block(core.SchemeQ8_0, 200), block(core.SchemeQ8_0, 200)}
		}},
		{"mixed layouts", func() []*core.Array {
			return []*core.Array{block(core.SchemeQ4_0, 33), block(core.SchemeQ8_0, 1), block(core.SchemeQ6_K, 17), block(core.SchemeQ4_0, 7)}
		}},
		{"no integer kernel and affine", func() []*core.Array {
			return []*core.Array{block(core.SchemeQ4_K, 9), block(core.SchemeQ8_0, 40), affine(5)}
		}},
		{"one weight", func() []*core.Array { return []*core.Array{block(core.SchemeQ4_0, 70)} }},
	}
	for _, c := range cases {
		ws := c.ws()
		for _, m := range []int{1, 5, 33} {
			t.Run(fmt.Sprintf("%s/m%d", c.name, m), func(t *testing.T) {
				x, err := core.FromSlice(randomX(r, m*k), m, k)
				require.NoError(t, err)
				got, err := core.QuantizedMatMulConcatOp(x.Array(), ws...)
				require.NoError(t, err)
				gv, err := float32s(got)
				require.NoError(t, err)
				var want [][]float32
				total := 0
				for _, w := range ws {
					y, err := core.QuantizedMatMulOp(x.Array(), w)
					require.NoError(t, err)
					yv, err := float32s(y)
					require.NoError(t, err)
					want = append(want, yv)
					total += y.Shape()[1]
				}
				require.Equal(t, core.Shape{m, total}, got.Shape())
				for row := range m {
					col := 0
					for i, w := range ws {
						n := w.Quant().Shape[0]
						require.Equal(t, want[i][row*n:(row+1)*n], gv[row*total+col:row*total+col+n], "weight %d row %d", i, row)
						col += n
					}
				}
			})
		}
	}
}

// A batch shape is kept, a half-precision x gives a result of its dtype
// (written through a float32 buffer), and weights that do not fit x are
// refused naming the shapes.
func TestQuantizedMatMulConcatShapesAndErrors(t *testing.T) {
	r := rand.New(rand.NewPCG(73, 74))
	k := 64
	w1, err := FromBlocks(randomBlocks(r, core.SchemeQ8_0, 3*k/32), core.SchemeQ8_0, core.Shape{3, k})
	require.NoError(t, err)
	w2, err := FromBlocks(randomBlocks(r, core.SchemeQ4_0, 5*k/32), core.SchemeQ4_0, core.Shape{5, k})
	require.NoError(t, err)
	x, err := core.FromSlice(randomX(r, 2*1*k), 2, 1, k)
	require.NoError(t, err)
	y, err := core.QuantizedMatMulConcatOp(x.Array(), w1, w2)
	require.NoError(t, err)
	require.Equal(t, core.Shape{2, 1, 8}, y.Shape())

	xh, err := core.CastOp(x.Array(), core.BF16)
	require.NoError(t, err)
	yh, err := core.QuantizedMatMulConcatOp(xh, w1, w2)
	require.NoError(t, err)
	require.Equal(t, core.BF16, yh.DType())
	require.Equal(t, core.Shape{2, 1, 8}, yh.Shape())

	wide, err := FromBlocks(randomBlocks(r, core.SchemeQ8_0, 2*k/32*2), core.SchemeQ8_0, core.Shape{2, 2 * k})
	require.NoError(t, err)
	_, err = core.QuantizedMatMulConcatOp(x.Array(), w1, wide)
	require.ErrorContains(t, err, "want [N, 64]")
	_, err = core.QuantizedMatMulConcatOp(x.Array(), w1, x.Array())
	require.ErrorContains(t, err, "no quantization info")
	_, err = core.QuantizedMatMulConcatOp(x.Array())
	require.ErrorContains(t, err, "no weights")
}
