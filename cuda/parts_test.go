package cuda

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/quant"
)

// quantized_matmul_parts on row slices of one stacked affine weight (a
// model's q/k/v, gate/up): with 2 to 8 rows one integer launch writes the
// parts (stackedParts takes them), and each part is, bit for bit, the
// device's quantized_matmul of that part alone, so each row is still its
// one-row product's bits; 1 and 9 rows, and parts that are not one
// stacked weight (two separate weights), go part by part. Widths that end
// in a partial warp; 4- and 8-bit codes; f32/f16/bf16 activations and
// scales. Strict: no op falls back to the CPU.
func TestQuantizedMatmulParts(t *testing.T) {
	dev := gpu(t)
	before := core.Fallbacks()
	defer func(v bool) { qmviAffine8 = v }(qmviAffine8)
	qmviAffine8 = true
	r := rand.New(rand.NewPCG(45, 46))
	type pcase struct {
		bits, k int
		ns      []int
		xt, sdt core.DType
	}
	cases := []pcase{
		{4, 256, []int{64, 16, 16}, core.F32, core.F32},
		{4, 512, []int{37, 5, 5}, core.F16, core.F16},
		{4, 256, []int{40, 40}, core.BF16, core.F32},
		{8, 256, []int{33, 17}, core.F16, core.BF16},
		{4, 96, []int{1, 2, 3}, core.F32, core.F16},
	}
	for ci, c := range cases {
		total := 0
		for _, n := range c.ns {
			total += n
		}
		w, _ := affineWeight(t, r, dev, total, c.k, c.bits, 32, c.sdt)
		var ws []*core.Array
		at := 0
		for _, n := range c.ns {
			v, err := quant.SliceRows(w, at, at+n)
			require.NoError(t, err)
			ws = append(ws, v)
			at += n
		}
		// The same shapes as separate weights: not one run of memory.
		var apart []*core.Array
		for _, n := range c.ns {
			a, _ := affineWeight(t, r, dev, n, c.k, c.bits, 32, c.sdt)
			apart = append(apart, a)
		}
		for _, m := range []int{1, 2, 3, 8, 9} {
			for _, set := range []struct {
				name    string
				ws      []*core.Array
				stacked bool
			}{{"stacked", ws, m >= 2 && m <= qmmiLaunchRows}, {"apart", apart, false}} {
				t.Run(fmt.Sprintf("%d/affine%d/k%d/%v/m%d/%s", ci, c.bits, c.k, c.ns, m, set.name), func(t *testing.T) {
					_, dx, _ := prepare(t, dev, c.xt, input{core.Shape{m, c.k}, ident}, random(r, m*c.k, -1, 1, false))
					q, _ := stackedParts(dx, set.ws)
					require.Equal(t, set.stacked, q != nil, "one launch takes the parts")
					got, err := core.QuantizedMatMulPartsOp(dx, set.ws...)
					require.NoError(t, err)
					require.Len(t, got, len(c.ns))
					for i, wi := range set.ws {
						want, err := core.QuantizedMatMulOp(dx, wi)
						require.NoError(t, err)
						require.Equal(t, core.Shape{m, c.ns[i]}, got[i].Shape())
						sameBits(t, values(t, want), values(t, got[i]), fmt.Sprintf("part %d", i))
					}
				})
			}
		}
	}
	require.Equal(t, before, core.Fallbacks(), "no op fell back to the CPU")
}
