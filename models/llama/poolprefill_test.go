package llama

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core/testfiles"
)

// PrefillBatch's logits are ForwardLast's to rounding (pathTol),
// through passes that split prompts and end in padding; a sequence's logits, and the keys and values its
// decode steps read, are the same bits whether its prompt runs alone or
// among others in any order.
func TestPoolPrefillBatch(t *testing.T) {
	for name, path := range batchModels {
		t.Run(name, func(t *testing.T) {
			m := load(t, testfiles.Path(t, path...), Options{})
			v := m.Config.VocabSize
			prompts := [][]int{{1, 5, 9}, {7}, {3, 4, 5, 6, 7, 8, 9}, {2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24}}
			// prefill runs the prompts of order in a new pool of passes of
			// 5 rows and returns the pool, its sequences (by prompt) and
			// each prompt's logits.
			prefill := func(order ...int) (*Pool, []*PoolSeq, [][]float32) {
				p, err := m.NewPool(64, 0)
				require.NoError(t, err)
				t.Cleanup(func() { _ = p.Close() })
				require.NoError(t, p.SetPrefillRows(5))
				seqs := make([]*PoolSeq, len(prompts))
				var ss []*PoolSeq
				var ps [][]int
				for _, i := range order {
					seqs[i], err = p.Add(len(prompts[i]) + 8)
					require.NoError(t, err)
					ss, ps = append(ss, seqs[i]), append(ps, prompts[i])
				}
				got, err := p.PrefillBatch(ss, ps)
				require.NoError(t, err)
				require.Equal(t, []int{len(order), v}, []int(got.Shape()))
				gv := f32Values(t, got)
				rows := make([][]float32, len(prompts))
				for r, i := range order {
					rows[i] = gv[r*v : (r+1)*v]
					assert.Equal(t, len(prompts[i]), seqs[i].Len())
				}
				return p, seqs, rows
			}
			all, seqs, rows := prefill(0, 1, 2, 3)
			for i, ids := range prompts {
				want, err := m.ForwardLast(ids, m.NewCache())
				require.NoError(t, err)
				assert.InDeltaSlice(t, f32Values(t, want), rows[i], pathTol(name), "prompt %d", i)
			}
			_, _, rev := prefill(3, 2, 1, 0)
			alone, aseqs, one := prefill(2)
			for i := range prompts {
				require.Equal(t, rows[i], rev[i], "prompt %d in reverse order", i)
			}
			require.Equal(t, rows[2], one[2], "prompt 2 alone")
			// Decode steps of prompt 2's sequence read the same keys and
			// values either way.
			for step, id := range []int{42, 40, 41} {
				with, err := all.Decode([]int{id, 1, 2, 3}, []*PoolSeq{seqs[2], seqs[0], seqs[1], seqs[3]})
				require.NoError(t, err)
				by, err := alone.Decode([]int{id, 1, 2, 3}, []*PoolSeq{aseqs[2], nil, nil, nil})
				require.NoError(t, err)
				require.Equal(t, f32Values(t, by)[:v], f32Values(t, with)[:v], "decode step %d", step)
			}
		})
	}
}

func TestPoolPrefillBatchErrors(t *testing.T) {
	m := load(t, testfiles.Path(t, "safetensors", "tiny-llama"), Options{})
	p, err := m.NewPool(40, 0)
	require.NoError(t, err)
	t.Cleanup(func() { _ = p.Close() })
	require.Error(t, p.SetPrefillRows(0))
	a, err := p.Add(3)
	require.NoError(t, err)
	b, err := p.Add(3)
	require.NoError(t, err)
	_, err = p.PrefillBatch(nil, nil)
	require.ErrorContains(t, err, "0 prompts for 0 sequences")
	_, err = p.PrefillBatch([]*PoolSeq{a}, [][]int{{1}, {2}})
	require.ErrorContains(t, err, "2 prompts for 1 sequences")
	_, err = p.PrefillBatch([]*PoolSeq{a, a}, [][]int{{1}, {2}})
	require.ErrorContains(t, err, "prompts 0 and 1 are for one sequence")
	_, err = p.PrefillBatch([]*PoolSeq{a, b}, [][]int{{1}, {}})
	require.ErrorContains(t, err, "prompt 1: no token ids")
	_, err = p.PrefillBatch([]*PoolSeq{a, b}, [][]int{{1}, make([]int, PoolBlock+1)})
	require.ErrorContains(t, err, "prompt 1: 17 positions for a sequence that reserved 16")
	_, err = p.PrefillBatch([]*PoolSeq{a, b}, [][]int{{1}, {2, m.Config.VocabSize}})
	require.ErrorContains(t, err, "prompt 1: token id")
	assert.Equal(t, 0, a.Len(), "a rejected prefill stores nothing")
	_, err = p.PrefillBatch([]*PoolSeq{a, b}, [][]int{{1}, {2, 3}})
	require.NoError(t, err)
	_, err = p.PrefillBatch([]*PoolSeq{a}, [][]int{{1}})
	require.ErrorContains(t, err, "holds 1 positions already")
	p.Remove(b)
	_, err = p.PrefillBatch([]*PoolSeq{b}, [][]int{{1}})
	require.ErrorContains(t, err, "not in this pool")
}
