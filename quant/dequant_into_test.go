package quant

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
)

// DequantizeFloat32Into writes DequantizeFloat32's bits, and for MLX
// affine codes the formula value by value (float32(s*c) + b, or
// s*(c - z) with zero points), computed here from the stored codes: MLX affine
// weights of every width, groups of 32 to 128, biases and zero points,
// one row (a row slice, as an embedding lookup takes) and many; ggml
// blocks; a destination of the wrong length is refused.
func TestDequantizeFloat32IntoMatches(t *testing.T) {
	r := rand.New(rand.NewPCG(81, 82))
	var cases []*core.Array
	for _, bits := range []int{2, 3, 4, 5, 6, 8} {
		for _, gs := range []int{32, 64, 128} {
			wt, err := core.FromSlice(randomX(r, 5*256), 5, 256)
			require.NoError(t, err)
			q, err := Quantize(wt.Array(), bits, gs)
			require.NoError(t, err)
			cases = append(cases, q)
			row, err := SliceRows(q, 3, 4)
			require.NoError(t, err)
			cases = append(cases, row)
			if bits == 4 {
				zq, err := WithZeroPoints(q)
				require.NoError(t, err)
				cases = append(cases, zq)
			}
		}
	}
	for _, s := range []core.Scheme{core.SchemeQ4_0, core.SchemeQ8_0, core.SchemeQ4_K, core.SchemeQ6_K} {
		w, err := FromBlocks(randomBlocks(r, s, 3*256/BlockValues(s)), s, core.Shape{3, 256})
		require.NoError(t, err)
		cases = append(cases, w)
	}
	for i, q := range cases {
		t.Run(fmt.Sprintf("%d/%s", i, q.Quant().Scheme), func(t *testing.T) {
			want, err := DequantizeFloat32(q)
			require.NoError(t, err)
			wv, err := want.Data()
			require.NoError(t, err)
			got := make([]float32, len(wv))
			require.NoError(t, DequantizeFloat32Into(got, q))
			for j := range wv {
				require.Equal(t, math.Float32bits(wv[j]), math.Float32bits(got[j]), "value %d", j)
			}
			require.Error(t, DequantizeFloat32Into(got[1:], q), "one value short")
			if qi := q.Quant(); qi.Scheme == core.SchemeAffine {
				ref := affineFormula(t, q)
				for j := range ref {
					require.Equal(t, math.Float32bits(ref[j]), math.Float32bits(got[j]), "value %d against the formula", j)
				}
			}
		})
	}
}

// affineFormula dequantizes q value by value from its codes, scales and
// biases (or zero points).
func affineFormula(t *testing.T, q *core.Array) []float32 {
	qi := q.Quant()
	words, err := uint32s(q)
	require.NoError(t, err)
	k := qi.Shape[len(qi.Shape)-1]
	wpr := k * qi.Bits / 32
	rows := len(words) / wpr
	sc, err := float32s(qi.Scales)
	require.NoError(t, err)
	var bs, zs []float32
	if qi.ZeroPoints != nil {
		zs, err = float32s(qi.ZeroPoints)
	} else {
		bs, err = float32s(qi.Biases)
	}
	require.NoError(t, err)
	out := make([]float32, 0, rows*k)
	codes := make([]uint32, k)
	for r := range rows {
		unpackRow(codes, words[r*wpr:(r+1)*wpr], k, qi.Bits)
		for j, c := range codes {
			g := r*(k/qi.GroupSize) + j/qi.GroupSize
			if zs != nil {
				out = append(out, float32(sc[g]*float32(float32(c)-zs[g])))
			} else {
				out = append(out, float32(sc[g]*float32(c))+bs[g])
			}
		}
	}
	return out
}
