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
	var r rotaries
	if r.global.cos, r.global.sin, err = tablesAt(m.invFreq, pos, m.dev); err != nil {
		return nil, err
	}
	r.local = r.global
	if m.localInvFreq != nil {
		if r.local.cos, r.local.sin, err = tablesAt(m.localInvFreq, pos, m.dev); err != nil {
			return nil, err
		}
	}
	for _, c := range caches {
		if c == nil {
			continue
		}
		if err := m.grow(c, 1); err != nil {
			return nil, err
		}
		if err := c.setPos(c.n); err != nil {
			return nil, err
		}
	}
	s := residual{h: h}
	for l := range m.layers {
		rot := r.global
		if m.layers[l].window > 0 {
			rot = r.local
		}
		s, err = m.layer(l, s, func(x *core.Array) (*core.Array, error) {
			return m.attentionBatch(l, x, caches, rot)
		}, nil)
		if err != nil {
			return nil, fmt.Errorf("llama: layer %d: %w", l, err)
		}
	}
	logits, err := m.logits(s)
	if err != nil {
		return nil, err
	}
	// The new keys and values sit past Len until here, so a failed call
	// leaves every cache as it was.
	for _, c := range caches {
		if c != nil {
			c.n++
		}
	}
	return logits, nil
}

// attentionBatch is attention for B sequences of one new position each:
// the projections run on x [B, hidden] at once; each sequence writes its
// key and value into layer l of its own cache at its position and attends
// over that cache; the output projection runs on the stacked results.
func (m *Model) attentionBatch(l int, x *core.Array, caches []*Cache, r rotary) (*core.Array, error) {
	b := &m.layers[l]
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
		if err := core.WriteRowsOp(c.k[l], ki, c.pos); err != nil {
			return nil, err
		}
		if err := core.WriteRowsOp(c.v[l], vi, c.pos); err != nil {
			return nil, err
		}
		if outs[i], err = core.CachedAttentionOp(qi, c.k[l], c.v[l], c.pos, core.AttentionParams{Scale: m.scale(), Window: b.window, SoftCap: cfg.AttnSoftCap}); err != nil {
			return nil, fmt.Errorf("batch row %d: %w", i, err)
		}
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

// tablesAt returns the cos and sin tables [len(pos), RotaryDim/2] for one
// position per row of a batch, on dev.
func tablesAt(inv []float32, pos []int, dev core.Device) (cos, sin *core.Array, err error) {
	h := len(inv)
	cv, sv := make([]float32, 0, len(pos)*h), make([]float32, 0, len(pos)*h)
	for _, p := range pos {
		c, s := angles(inv, p, 1)
		cv, sv = append(cv, c...), append(sv, s...)
	}
	return upload(cv, sv, len(pos), h, dev)
}
