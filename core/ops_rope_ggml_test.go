package core

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRoPEGGML(t *testing.T) {
	t.Run("f32", testRoPEGGML[float32])
	t.Run("f64", testRoPEGGML[float64])
	t.Run("f16", testRoPEGGML[Float16])
	t.Run("bf16", testRoPEGGML[BFloat16])
}

// rope_ggml equals reordering each head from ggml's rope order to Hugging
// Face's (a strided copy) and then rope, exactly: head size 2 (one pair),
// an odd number of pairs, one position, no rows, a leading batch axis,
// permuted (non-contiguous) inputs and a decode step's q shape.
func testRoPEGGML[T Float](t *testing.T) {
	r := rand.New(rand.NewPCG(25, 26))
	for _, shape := range []Shape{{1, 1, 2}, {3, 2, 6}, {1, 3, 10}, {0, 2, 4}, {2, 3, 2, 8}, {1, 32, 64}, {5, 4, 64}} {
		for _, kind := range []string{"contig", "permuted"} {
			rank := len(shape)
			tt, d := shape[rank-3], shape[rank-1]
			x := makeView(t, randValues[T](r, shape.NumElements(), -3, 3), shape, kind).Array()
			cv, sv := make([]float32, tt*d/2), make([]float32, tt*d/2)
			for i := range cv {
				a := r.Float64() * 2 * math.Pi
				cv[i], sv[i] = float32(math.Cos(a)), float32(math.Sin(a))
			}
			ct, err := FromSlice(cv, tt, d/2)
			require.NoError(t, err)
			st, err := FromSlice(sv, tt, d/2)
			require.NoError(t, err)
			got, err := RoPEGGMLOp(x, ct.Array(), st.Array())
			require.NoError(t, err)
			require.Equal(t, shape, got.Shape())
			// The reference: pairs (2i, 2i+1) to (i, i+D/2), then rope.
			split := append(slices.Clone(shape[:rank-1]), d/2, 2)
			v, err := x.Contiguous()
			require.NoError(t, err)
			v, err = v.Reshape(split...)
			require.NoError(t, err)
			perm := make([]int, len(split))
			for i := range perm {
				perm[i] = i
			}
			perm[rank-1], perm[rank] = rank, rank-1
			v, err = v.Permute(perm...)
			require.NoError(t, err)
			v, err = v.Contiguous()
			require.NoError(t, err)
			v, err = v.Reshape(shape...)
			require.NoError(t, err)
			want, err := RoPEOp(v, ct.Array(), st.Array())
			require.NoError(t, err)
			assert.Equal(t, values(t, want), values(t, got), name("rope_ggml ", DTypeOf[T](), shape, kind))
		}
	}
	x, _ := Zeros[float32](2, 3, 4)
	bad, _ := Zeros[float32](3, 2)
	_, err := RoPEGGMLOp(x.Array(), bad.Array(), bad.Array())
	require.ErrorContains(t, err, "rope_ggml: tables")
	odd, _ := Zeros[float32](2, 3, 5)
	_, err = RoPEGGMLOp(odd.Array(), bad.Array(), bad.Array())
	require.ErrorContains(t, err, "even head size")
	_, err = RoPEGGMLOp(nil, bad.Array(), bad.Array())
	require.ErrorContains(t, err, "nil operand")
}
