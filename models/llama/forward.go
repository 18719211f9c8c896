package llama

import (
	"fmt"

	"github.com/lbrx/lbrx/core"
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
	var r rotaries
	if r.global.cos, r.global.sin, err = tables(m.invFreq, c.n, len(ids), m.dev); err != nil {
		return nil, err
	}
	r.local = r.global
	if m.localInvFreq != nil {
		if r.local.cos, r.local.sin, err = tables(m.localInvFreq, c.n, len(ids), m.dev); err != nil {
			return nil, err
		}
	}
	if err := m.grow(c, len(ids)); err != nil {
		return nil, err
	}
	if err := c.setPos(c.n); err != nil {
		return nil, err
	}
	logits, err := m.layersAndHead(h, r, c, lastOnly)
	if err != nil {
		return nil, err
	}
	// The new keys and values sit past Len until here, so a failed call
	// leaves the cache as it was.
	c.n += len(ids)
	return logits, nil
}

// rotaries are the rope tables of a call's positions: global for full
// attention layers, local for sliding-window layers (the same tables
// unless the model has a separate local rope base).
type rotaries struct{ global, local rotary }

// layersAndHead runs the embedding scale, every layer on h [T, hidden]
// at the cache's position, writing the keys and values into the cache,
// then the final norm, the lm_head and the final soft cap: device ops
// only, which a decode step records (core.Record) once and replays.
func (m *Model) layersAndHead(h *core.Array, r rotaries, c *Cache, lastOnly bool) (*core.Array, error) {
	var err error
	if m.embedScale != nil {
		if h, err = core.BinaryOp("mul", h, m.embedScale); err != nil {
			return nil, fmt.Errorf("llama: embedding scale: %w", err)
		}
	}
	s := residual{h: h}
	for i := range m.layers {
		rot := r.global
		if m.layers[i].window > 0 {
			rot = r.local
		}
		if s, err = m.block(i, s, c, rot); err != nil {
			return nil, fmt.Errorf("llama: layer %d: %w", i, err)
		}
	}
	if t := h.Shape()[0]; lastOnly && t > 1 {
		if s, err = s.rows(t-1, t); err != nil {
			return nil, err
		}
	}
	return m.logits(s)
}

// logits runs the final norm, the lm_head and the final soft cap on the
// stream s [T, hidden].
func (m *Model) logits(s residual) (*core.Array, error) {
	_, h, err := m.addNorm(s, m.norm)
	if err != nil {
		return nil, fmt.Errorf("llama: final norm: %w", err)
	}
	logits, err := m.lmHead.apply(h)
	if err != nil {
		return nil, fmt.Errorf("llama: lm_head: %w", err)
	}
	if m.finalCap != nil {
		if logits, err = softCap(logits, m.finalCap); err != nil {
			return nil, fmt.Errorf("llama: final logit soft-capping: %w", err)
		}
	}
	return logits, nil
}

// softCap returns cap * tanh(x / cap), in transformers' order of
// operations.
func softCap(x, c *core.Array) (*core.Array, error) {
	y, err := core.BinaryOp("div", x, c)
	if err != nil {
		return nil, err
	}
	if y, err = core.UnaryOp("tanh", y); err != nil {
		return nil, err
	}
	return core.BinaryOp("mul", y, c)
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

// checkTokenIDs returns an error naming the first id of ids outside
// [0, vocab) and its position.
func checkTokenIDs(ids []int, vocab int) error {
	for i, id := range ids {
		if id < 0 || id >= vocab {
			return fmt.Errorf("llama: token id %d (position %d) is outside the vocabulary [0, %d)", id, i, vocab)
		}
	}
	return nil
}

// hostEmbedding returns the rows [T, hidden] of ids in the activation
// dtype on the host: a gather, or for a quantized table a dequantization
// of just the rows named.
func (m *Model) hostEmbedding(ids []int) (*core.Array, error) {
	if err := checkTokenIDs(ids, m.Config.VocabSize); err != nil {
		return nil, err
	}
	if m.embed.Quant() != nil {
		return m.quantizedEmbedding(ids)
	}
	idx := make([]int32, len(ids))
	for i, id := range ids {
		idx[i] = int32(id)
	}
	it, err := core.FromSlice(idx, len(ids))
	if err != nil {
		return nil, err
	}
	rows, err := core.GatherOp(m.embed, 0, it.Array())
	if err != nil {
		return nil, fmt.Errorf("llama: embedding: %w", err)
	}
	if rows.DType() != m.dtype {
		// An F16/BF16 table of a model of another dtype is kept as is
		// (keepHalf): only the rows looked up are cast.
		return core.CastOp(rows, m.dtype)
	}
	return rows, nil
}
