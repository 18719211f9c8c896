package llama

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core/testfiles"
)

// A Pool's prefill and decode steps give ForwardLast's and
// ForwardBatch's logits to the bit (the same ops on the same values;
// paged_attention computes what cached_attention does), through the
// eager first step, the recorded second, the replays, a padding row, a
// sequence joining (which grows the pool and records the step anew) and
// one leaving; and a sequence's logits do not change with what the
// other rows hold.
func TestPoolDecodeMatchesForwardBatch(t *testing.T) {
	for name, path := range batchModels {
		t.Run(name, func(t *testing.T) {
			m := load(t, testfiles.Path(t, path...), Options{})
			v := m.Config.VocabSize
			p, err := m.NewPool(64, 0)
			require.NoError(t, err)
			t.Cleanup(func() { _ = p.Close() })
			prompts := [][]int{{1, 5, 9}, {7}, {3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19}}
			reserve := []int{20, 17, 40}
			seqs := make([]*PoolSeq, 3)
			caches := make([]*Cache, 3)
			start := func(i int) {
				seqs[i], err = p.Add(reserve[i])
				require.NoError(t, err)
				got, err := p.Prefill(seqs[i], prompts[i])
				require.NoError(t, err)
				caches[i] = m.NewCache()
				want, err := m.ForwardLast(prompts[i], caches[i])
				require.NoError(t, err)
				require.Equal(t, f32Values(t, want), f32Values(t, got), "prefill of sequence %d", i)
			}
			start(0)
			start(1)
			grown := p.blocks()
			// Rows: sequence 0, padding (then sequence 2), sequence 1, padding.
			rows := func() ([]*PoolSeq, []*Cache) {
				return []*PoolSeq{seqs[0], seqs[2], seqs[1], nil}, []*Cache{caches[0], caches[2], caches[1], nil}
			}
			ids := []int{11, 12, 13, 14}
			for step := range 8 {
				if step == 4 {
					start(2) // joins: the pool grows
					assert.Greater(t, p.blocks(), grown)
				}
				if step == 6 {
					p.Remove(seqs[1]) // leaves: its row is padding from now on
					seqs[1], caches[1] = nil, nil
				}
				ps, cs := rows()
				got, err := p.Decode(ids, ps)
				require.NoError(t, err)
				want, err := m.ForwardBatch(ids, cs)
				require.NoError(t, err)
				gv, wv := f32Values(t, got), f32Values(t, want)
				for r, c := range cs {
					if c != nil {
						require.Equal(t, wv[r*v:(r+1)*v], gv[r*v:(r+1)*v], "step %d row %d", step, r)
						assert.Equal(t, c.Len(), ps[r].Len(), "step %d row %d", step, r)
					}
				}
				for r := range ids {
					ids[r] = (ids[r]*7 + step) % v
				}
			}
			assert.True(t, p.Recorded(4), "the step was recorded")
			assert.False(t, p.Recorded(3))

			// Sequence 0's next logits, alone among padding rows, equal
			// those it gets among the others.
			ps, _ := rows()
			n := seqs[0].Len()
			with, err := p.Decode(ids, ps)
			require.NoError(t, err)
			wv := append([]float32(nil), f32Values(t, with)[:v]...)
			seqs[0].n = n // decode the same position again
			alone, err := p.Decode([]int{ids[0], 1, 2, 3}, []*PoolSeq{seqs[0], nil, nil, nil})
			require.NoError(t, err)
			assert.Equal(t, wv, f32Values(t, alone)[:v])
		})
	}
}

func TestPoolErrors(t *testing.T) {
	m := load(t, testfiles.Path(t, "safetensors", "tiny-llama"), Options{})
	p, err := m.NewPool(40, 0)
	require.NoError(t, err)
	_, err = p.Decode([]int{1}, []*PoolSeq{nil})
	require.ErrorContains(t, err, "holds no sequence")
	_, err = p.Add(41)
	require.ErrorContains(t, err, "up to 40")
	s, err := p.Add(3)
	require.NoError(t, err)
	assert.Equal(t, PoolBlock, s.Capacity())
	_, err = p.Prefill(s, make([]int, PoolBlock+1))
	require.ErrorContains(t, err, "reserved 16")
	_, err = p.Prefill(s, []int{1, 2})
	require.NoError(t, err)
	_, err = p.Prefill(s, []int{1, 2})
	require.ErrorContains(t, err, "holds 2 positions already")
	_, err = p.Decode([]int{1, 2}, []*PoolSeq{s, s})
	require.ErrorContains(t, err, "one sequence")
	_, err = p.Decode([]int{1, 2}, []*PoolSeq{s})
	require.ErrorContains(t, err, "2 token ids for 1")
	_, err = p.Decode([]int{m.Config.VocabSize}, []*PoolSeq{s})
	require.ErrorContains(t, err, "outside the vocabulary")
	s.n = s.Capacity()
	_, err = p.Decode([]int{1}, []*PoolSeq{s})
	require.ErrorContains(t, err, "used up")
	p.Remove(s)
	_, err = p.Decode([]int{1}, []*PoolSeq{s})
	require.ErrorContains(t, err, "not in this pool")
	other, err := m.NewPool(40, 0)
	require.NoError(t, err)
	o, err := other.Add(3)
	require.NoError(t, err)
	_, err = p.Prefill(o, []int{1})
	require.ErrorContains(t, err, "not in this pool")
	_, err = m.NewPool(0, 0)
	require.Error(t, err)
}
