package quant

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
)

// core.QuantizedMatMulPartsOp gives each weight's product as its own
// contiguous [M, N_i] array, the values core.QuantizedMatMulOp gives for
// the weight alone: MLX affine weights (views of one stacked weight, as
// a GPU model stacks q, k and v), ggml blocks, one weight; m = 1, 3, 8
// and 33; an F16 x gives F16 parts.
func TestQuantizedMatMulPartsMatchesEachWeight(t *testing.T) {
	r := rand.New(rand.NewPCG(75, 76))
	const k = 256
	stacked := func(ns ...int) []*core.Array {
		total := 0
		for _, n := range ns {
			total += n
		}
		wt, err := core.FromSlice(randomX(r, total*k), total, k)
		require.NoError(t, err)
		w, err := Quantize(wt.Array(), 4, 32)
		require.NoError(t, err)
		var ws []*core.Array
		at := 0
		for _, n := range ns {
			v, err := SliceRows(w, at, at+n)
			require.NoError(t, err)
			ws = append(ws, v)
			at += n
		}
		return ws
	}
	block := func(s core.Scheme, n int) *core.Array {
		w, err := FromBlocks(randomBlocks(r, s, n*k/BlockValues(s)), s, core.Shape{n, k})
		require.NoError(t, err)
		return w
	}
	cases := []struct {
		name string
		ws   []*core.Array
	}{
		{"affine qkv views", stacked(64, 16, 16)},
		{"affine gate up views", stacked(40, 40)},
		{"q4_0 and q8_0", []*core.Array{block(core.SchemeQ4_0, 33), block(core.SchemeQ8_0, 7)}},
		{"one weight", []*core.Array{block(core.SchemeQ4_K, 9)}},
	}
	for _, c := range cases {
		for _, m := range []int{1, 3, 8, 33} {
			for _, dt := range []core.DType{core.F32, core.F16} {
				t.Run(fmt.Sprintf("%s/m%d/%v", c.name, m, dt), func(t *testing.T) {
					xf, err := core.FromSlice(randomX(r, m*k), m, k)
					require.NoError(t, err)
					x, err := core.CastOp(xf.Array(), dt)
					require.NoError(t, err)
					got, err := core.QuantizedMatMulPartsOp(x, c.ws...)
					require.NoError(t, err)
					require.Len(t, got, len(c.ws))
					for i, w := range c.ws {
						want, err := core.QuantizedMatMulOp(x, w)
						require.NoError(t, err)
						assert.Equal(t, core.Shape{m, w.Quant().Shape[0]}, got[i].Shape())
						assert.True(t, got[i].IsContiguous())
						assert.Equal(t, dt, got[i].DType())
						gb, err := got[i].Bytes()
						require.NoError(t, err)
						wb, err := want.Bytes()
						require.NoError(t, err)
						require.Equal(t, wb, gb, "part %d", i)
					}
				})
			}
		}
	}
}

// Weights that do not fit x, an x of another rank and no weights are
// refused naming the shapes.
func TestQuantizedMatMulPartsErrors(t *testing.T) {
	r := rand.New(rand.NewPCG(77, 78))
	w1, err := FromBlocks(randomBlocks(r, core.SchemeQ8_0, 3*64/32), core.SchemeQ8_0, core.Shape{3, 64})
	require.NoError(t, err)
	x, err := core.FromSlice(randomX(r, 2*32), 2, 32)
	require.NoError(t, err)
	_, err = core.QuantizedMatMulPartsOp(x.Array(), w1)
	require.ErrorContains(t, err, "[N, 32]")
	x3, err := core.FromSlice(randomX(r, 2*64), 2, 1, 64)
	require.NoError(t, err)
	_, err = core.QuantizedMatMulPartsOp(x3.Array(), w1)
	require.ErrorContains(t, err, "not [M, K]")
	_, err = core.QuantizedMatMulPartsOp(x3.Array())
	require.ErrorContains(t, err, "no weights")
	plain, err := core.FromSlice(randomX(r, 3*64), 3, 64)
	require.NoError(t, err)
	x2, err := core.FromSlice(randomX(r, 2*64), 2, 64)
	require.NoError(t, err)
	_, err = core.QuantizedMatMulPartsOp(x2.Array(), plain.Array())
	require.ErrorContains(t, err, "no quantization info")
}
