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
	if m.embedScale != nil {
		if h, err = core.BinaryOp("mul", h, m.embedScale); err != nil {
			return nil, fmt.Errorf("llama: embedding scale: %w", err)
		}
	}
	var global, local rotary
	if global.cos, global.sin, err = tables(m.invFreq, c.n, len(ids), m.dev); err != nil {
		return nil, err
	}
	local = global
	if m.localInvFreq != nil {
		if local.cos, local.sin, err = tables(m.localInvFreq, c.n, len(ids), m.dev); err != nil {
			return nil, err
		}
	}
	// The cache takes the new keys and values only once every layer ran,
	// so a failed call leaves it as it was.
	ks, vs := make([]*core.Array, len(m.layers)), make([]*core.Array, len(m.layers))
	for i := range m.layers {
		r := global
		if m.layers[i].window > 0 {
			r = local
		}
		if h, ks[i], vs[i], err = m.block(i, h, c.k[i], c.v[i], r); err != nil {
			return nil, fmt.Errorf("llama: layer %d: %w", i, err)
		}
		// A sliding-window layer's later queries never see keys more
		// than window-1 positions back, so the cache keeps no more.
		if w := m.layers[i].window; w > 0 {
			if ks[i], vs[i], err = lastRows(ks[i], vs[i], w-1); err != nil {
				return nil, fmt.Errorf("llama: layer %d: %w", i, err)
			}
		}
	}
	c.k, c.v = ks, vs
	c.n += len(ids)
	if lastOnly && len(ids) > 1 {
		if h, err = h.Slice(0, len(ids)-1, len(ids), 1); err != nil {
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
	if m.finalCap != nil {
		if logits, err = softCap(logits, m.finalCap); err != nil {
			return nil, fmt.Errorf("llama: final logit soft-capping: %w", err)
		}
	}
	return logits, nil
}

// lastRows returns the last n positions (axis 0) of the keys k and values
// v, or nil for none; views, copied by the next step's concat.
func lastRows(k, v *core.Array, n int) (*core.Array, *core.Array, error) {
	t := k.Shape()[0]
	if t <= n {
		return k, v, nil
	}
	if n == 0 {
		return nil, nil, nil
	}
	k, err := k.Slice(0, t-n, t, 1)
	if err != nil {
		return nil, nil, err
	}
	v, err = v.Slice(0, t-n, t, 1)
	return k, v, err
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

// embedding looks the ids up in the host table (a gather, or for a
// quantized table a dequantization of just the rows named) and moves the
// rows [T, hidden] to the device.
func (m *Model) embedding(ids []int) (*core.Array, error) {
	for i, id := range ids {
		if id < 0 || id >= m.Config.VocabSize {
			return nil, fmt.Errorf("llama: token id %d (position %d) is outside the vocabulary [0, %d)", id, i, m.Config.VocabSize)
		}
	}
	var rows *core.Array
	if m.embed.Quant() == nil {
		idx := make([]int32, len(ids))
		for i, id := range ids {
			idx[i] = int32(id)
		}
		it, err := core.FromSlice(idx, len(ids))
		if err != nil {
			return nil, err
		}
		if rows, err = core.GatherOp(m.embed, 0, it.Array()); err != nil {
			return nil, err
		}
	} else {
		h := m.Config.HiddenSize
		v := make([]float32, 0, len(ids)*h)
		for _, id := range ids {
			r, err := quant.SliceRows(m.embed, id, id+1)
			if err != nil {
				return nil, err
			}
			d, err := quant.DequantizeFloat32(r)
			if err != nil {
				return nil, fmt.Errorf("llama: embedding row %d: %w", id, err)
			}
			dv, err := d.Data()
			if err != nil {
				return nil, err
			}
			v = append(v, dv...)
		}
		t, err := core.FromSlice(v, len(ids), h)
		if err != nil {
			return nil, err
		}
		if rows, err = core.CastOp(t.Array(), m.dtype); err != nil {
			return nil, err
		}
	}
	return rows.To(m.dev)
}
