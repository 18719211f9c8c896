package llama

import (
	"fmt"

	"github.com/lbrx/lbrx/core"
)

// ForwardLast is Forward returning the logits [1, VocabSize] of the last
// position alone (what generation reads after a prompt).
func (m *Model) ForwardLast(ids []int, c *Cache) (*core.Array, error) {
	if c == nil {
		return nil, fmt.Errorf("llama: ForwardLast needs a cache")
	}
	return m.forward(ids, c, true)
}

// ForwardBatch runs one new token per sequence: ids[i] at position
// caches[i].Len() of sequence i, appending its keys and values to
// caches[i]. It returns the logits [len(ids), VocabSize]. The sequences
// share one pass: their tokens are stacked into one [B, hidden]
// activation, so every projection (quantized or not) runs once for the
// batch, while attention runs per sequence over that sequence's cache. A
// nil cache makes its row padding: nothing is cached and its logits mean
// nothing. On error every cache is left as it was.
//
// Batch invariance: the matmul kernels pick their algorithm (and so their
// order of summation) by the number of rows, so a sequence's logits
// depend, in the last bits, on how many rows the pass has, but not on
// which row it is in or what the other rows hold. A caller that needs
// outputs independent of the batch (a server whose greedy answers must
// not change with its load) runs every pass at one width, padding with
// nil caches; TestForwardBatchIsBatchInvariant checks this on the CPU
// for unquantized, quantized and sliding-window models.
func (m *Model) ForwardBatch(ids []int, caches []*Cache) (*core.Array, error) {
	if len(ids) == 0 {
		return nil, fmt.Errorf("llama: no token ids")
	}
	if len(caches) != len(ids) {
		return nil, fmt.Errorf("llama: %d token ids for %d caches", len(ids), len(caches))
	}
	pos := make([]int, len(ids))
	for i, c := range caches {
		if c == nil {
			continue // a padding row
		}
		if len(c.k) != len(m.layers) {
			return nil, fmt.Errorf("llama: batch row %d: cache has %d layers, the model %d", i, len(c.k), len(m.layers))
		}
		for j := range i {
			if caches[j] == c {
				return nil, fmt.Errorf("llama: batch rows %d and %d share a cache", j, i)
			}
		}
		pos[i] = c.n
	}
	h, err := m.embedding(ids)
	if err != nil {
		return nil, err
	}
	if m.embedScale != nil {
		if h, err = core.BinaryOp("mul", h, m.embedScale); err != nil {
			return nil, fmt.Errorf("llama: embedding scale: %w", err)
		}
	}
	var global, local rotary
	if global.cos, global.sin, err = tablesAt(m.invFreq, pos, m.dev); err != nil {
		return nil, err
	}
	local = global
	if m.localInvFreq != nil {
		if local.cos, local.sin, err = tablesAt(m.localInvFreq, pos, m.dev); err != nil {
			return nil, err
		}
	}
	// New keys and values per layer and sequence, stored only once every
	// layer ran.
	ks, vs := make([][]*core.Array, len(m.layers)), make([][]*core.Array, len(m.layers))
	for l := range m.layers {
		r := global
		if m.layers[l].window > 0 {
			r = local
		}
		ks[l], vs[l] = make([]*core.Array, len(ids)), make([]*core.Array, len(ids))
		h, err = m.layer(l, h, func(b *block, x *core.Array) (*core.Array, error) {
			return m.attentionBatch(b, l, x, caches, r, ks[l], vs[l])
		})
		if err != nil {
			return nil, fmt.Errorf("llama: layer %d: %w", l, err)
		}
	}
	for i, c := range caches {
		if c == nil {
			continue
		}
		for l := range m.layers {
			c.k[l], c.v[l] = ks[l][i], vs[l][i]
		}
		c.n++
	}
	return m.logits(h)
}

// attentionBatch is attention for B sequences of one new position each:
// the projections run on x [B, hidden] at once, each sequence attends to
// its own cached keys and values (layer l of caches[i]), and the output
// projection runs on the stacked results. ks[i] and vs[i] receive
// sequence i's keys and values including the new position.
func (m *Model) attentionBatch(b *block, l int, x *core.Array, caches []*Cache, r rotary, ks, vs []*core.Array) (*core.Array, error) {
	cfg := m.Config
	q, k, v, err := m.project(b, x, r)
	if err != nil {
		return nil, err
	}
	outs := make([]*core.Array, len(caches))
	for i, c := range caches {
		row := func(a *core.Array) (*core.Array, error) { return a.Slice(0, i, i+1, 1) }
		qi, err := row(q)
		if err != nil {
			return nil, err
		}
		if c == nil {
			outs[i] = qi // a padding row: any finite values do
			continue
		}
		ki, err := row(k)
		if err != nil {
			return nil, err
		}
		vi, err := row(v)
		if err != nil {
			return nil, err
		}
		if c.k[l] != nil {
			if ki, err = core.ConcatOp(0, c.k[l], ki); err != nil {
				return nil, err
			}
			if vi, err = core.ConcatOp(0, c.v[l], vi); err != nil {
				return nil, err
			}
		}
		if outs[i], err = core.AttentionOp(qi, ki, vi, core.AttentionParams{Scale: m.scale(), Window: b.window, SoftCap: cfg.AttnSoftCap}); err != nil {
			return nil, fmt.Errorf("batch row %d: %w", i, err)
		}
		if w := b.window; w > 0 {
			if ki, vi, err = lastRows(ki, vi, w-1); err != nil {
				return nil, err
			}
		}
		ks[i], vs[i] = ki, vi
	}
	a := outs[0]
	if len(outs) > 1 {
		if a, err = core.ConcatOp(0, outs...); err != nil {
			return nil, err
		}
	}
	if a, err = a.Reshape(len(caches), cfg.NumHeads*cfg.HeadDim); err != nil {
		return nil, err
	}
	return b.o.apply(a)
}
