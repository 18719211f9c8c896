package llama

import (
	"fmt"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/quant"
)

// Forward runs token ids at positions [c.Len(), c.Len()+len(ids)),
// appends their keys and values to c and returns the logits
// [len(ids), VocabSize] in the model's dtype on its device. A nil cache
// runs the ids as a whole prompt from position 0. On error the cache is
// left as it was.
func (m *Model) Forward(ids []int, c *Cache) (*core.Array, error) {
	return m.forward(ids, c, false)
}

// forward is Forward; lastOnly computes the logits of the last position
// alone (the only ones generation reads).
func (m *Model) forward(ids []int, c *Cache, lastOnly bool) (*core.Array, error) {
	if len(ids) == 0 {
		return nil, fmt.Errorf("llama: no token ids")
	}
	if c == nil {
		c = m.NewCache()
	}
	if len(c.k) != len(m.layers) {
		return nil, fmt.Errorf("llama: cache has %d layers, the model %d", len(c.k), len(m.layers))
	}
	h, err := m.embedding(ids)
	if err != nil {
		return nil, err
	}
	cos, sin, err := tables(m.invFreq, c.n, len(ids), m.dev)
	if err != nil {
		return nil, err
	}
	if err := m.grow(c, len(ids)); err != nil {
		return nil, err
	}
	if err := c.setPos(c.n); err != nil {
		return nil, err
	}
	logits, err := m.layersAndHead(h, cos, sin, c, lastOnly)
	if err != nil {
		return nil, err
	}
	// The new keys and values sit past Len until here, so a failed call
	// leaves the cache as it was.
	c.n += len(ids)
	return logits, nil
}

// layersAndHead runs every layer on h [T, hidden] at the cache's
// position, writing the keys and values into the cache, then the final
// norm and the lm_head: device ops only, which a decode step records
// (core.Record) once and replays.
func (m *Model) layersAndHead(h, cos, sin *core.Array, c *Cache, lastOnly bool) (*core.Array, error) {
	var err error
	for i := range m.layers {
		if h, err = m.block(i, h, c, cos, sin); err != nil {
			return nil, fmt.Errorf("llama: layer %d: %w", i, err)
		}
	}
	if t := h.Shape()[0]; lastOnly && t > 1 {
		if h, err = h.Slice(0, t-1, t, 1); err != nil {
			return nil, err
		}
	}
	if h, err = core.RMSNormOp(h, m.norm, m.Config.RMSNormEps); err != nil {
		return nil, fmt.Errorf("llama: final norm: %w", err)
	}
	logits, err := m.lmHead.apply(h)
	if err != nil {
		return nil, fmt.Errorf("llama: lm_head: %w", err)
	}
	return logits, nil
}

// embedding looks the ids up in the host table and moves the rows
// [T, hidden] to the device.
func (m *Model) embedding(ids []int) (*core.Array, error) {
	rows, err := m.hostEmbedding(ids)
	if err != nil {
		return nil, err
	}
	return rows.To(m.dev)
}

// hostEmbedding returns the rows [T, hidden] of ids in the activation
// dtype on the host: a gather, or for a quantized table a dequantization
// of just the rows named.
func (m *Model) hostEmbedding(ids []int) (*core.Array, error) {
	for i, id := range ids {
		if id < 0 || id >= m.Config.VocabSize {
			return nil, fmt.Errorf("llama: token id %d (position %d) is outside the vocabulary [0, %d)", id, i, m.Config.VocabSize)
		}
	}
	idx := make([]int32, len(ids))
	for i, id := range ids {
		idx[i] = int32(id)
	}
	it, err := core.FromSlice(idx, len(ids))
	if err != nil {
		return nil, err
	}
	rows, err := gatherRows(m.embed, it.Array())
	if err != nil {
		return nil, fmt.Errorf("llama: embedding: %w", err)
	}
	if rows.Quant() != nil {
		// One dequantization of the gathered rows, not one per token.
		d, err := quant.DequantizeFloat32(rows)
		if err != nil {
			return nil, fmt.Errorf("llama: embedding rows: %w", err)
		}
		if rows, err = core.CastOp(d.Array(), m.dtype); err != nil {
			return nil, err
		}
	}
	return rows, nil
}

// gatherRows picks rows idx of a table, quantized or not (for a quantized
// table, the rows of its codes and of each quantization parameter).
func gatherRows(table, idx *core.Array) (*core.Array, error) {
	rows, err := core.GatherOp(table, 0, idx)
	if err != nil {
		return nil, err
	}
	qi := table.Quant()
	if qi == nil {
		return rows, nil
	}
	nq := *qi
	nq.Shape = qi.Shape.Clone()
	nq.Shape[0] = idx.NumElements()
	for _, p := range []**core.Array{&nq.Scales, &nq.Biases, &nq.ZeroPoints} {
		if *p == nil {
			continue
		}
		if *p, err = core.GatherOp(*p, 0, idx); err != nil {
			return nil, err
		}
	}
	meta := rows.Metadata()
	meta.Quant = &nq
	return rows.WithMetadata(meta)
}

// block runs decoder layer i on h [T, hidden] at the cache's position,
// writes the layer's new keys and values into the cache and returns the
// new h.
func (m *Model) block(i int, h *core.Array, c *Cache, cos, sin *core.Array) (out *core.Array, err error) {
	b := &m.layers[i]
	cfg := m.Config
	t := h.Shape()[0]
	x, err := core.RMSNormOp(h, b.inNorm, cfg.RMSNormEps)
	if err != nil {
		return nil, err
	}
	proj := func(l linear, heads int, rotate bool) (*core.Array, error) {
		y, err := l.apply(x)
		if err != nil {
			return nil, err
		}
		if y, err = y.Reshape(t, heads, cfg.HeadDim); err != nil {
			return nil, err
		}
		if rotate {
			return core.RoPEOp(y, cos, sin)
		}
		return y, nil
	}
	q, err := proj(b.q, cfg.NumHeads, true)
	if err != nil {
		return nil, err
	}
	k, err := proj(b.k, cfg.NumKVHeads, true)
	if err != nil {
		return nil, err
	}
	v, err := proj(b.v, cfg.NumKVHeads, false)
	if err != nil {
		return nil, err
	}
	if err := core.WriteRowsOp(c.k[i], k, c.pos); err != nil {
		return nil, err
	}
	if err := core.WriteRowsOp(c.v[i], v, c.pos); err != nil {
		return nil, err
	}
	a, err := core.CachedAttentionOp(q, c.k[i], c.v[i], c.pos, m.scale())
	if err != nil {
		return nil, err
	}
	if a, err = a.Reshape(t, cfg.NumHeads*cfg.HeadDim); err != nil {
		return nil, err
	}
	if a, err = b.o.apply(a); err != nil {
		return nil, err
	}
	if h, err = core.BinaryOp("add", h, a); err != nil {
		return nil, err
	}
	if x, err = core.RMSNormOp(h, b.postNorm, cfg.RMSNormEps); err != nil {
		return nil, err
	}
	g, err := b.gate.apply(x)
	if err != nil {
		return nil, err
	}
	u, err := b.up.apply(x)
	if err != nil {
		return nil, err
	}
	if g, err = core.SiLUMulOp(g, u); err != nil {
		return nil, err
	}
	if g, err = b.down.apply(g); err != nil {
		return nil, err
	}
	if out, err = core.BinaryOp("add", h, g); err != nil {
		return nil, err
	}
	return out, nil
}
