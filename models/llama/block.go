package llama

import (
	"fmt"

	"github.com/lbrx/lbrx/core"
)

// The building blocks of a decoder layer. Which of their options a layer
// uses comes from the Config (see Arch), never from the architecture's
// name.

// rotary holds the cos and sin tables [T, RotaryDim/2] of the positions a
// forward call runs.
type rotary struct{ cos, sin *core.Array }

// block runs decoder layer i on h [T, hidden] at the cache's position,
// writes the layer's new keys and values into c and returns the new h:
//
//	h = h + post_attn_norm(attention(in_norm(h)))       (post norm: sandwich layout only)
//	h = h + post_mlp_norm(mlp(pre_mlp_norm(h)))
func (m *Model) block(i int, h *core.Array, c *Cache, r rotary) (out *core.Array, err error) {
	return m.layer(i, h, func(x *core.Array) (*core.Array, error) { return m.attention(i, x, c, r) }, nil)
}

// reduceFunc makes a partial attention or MLP output whole before the
// norms and residual that need all of it (a tensor-parallel all-reduce);
// part names which, for errors.
type reduceFunc func(part string, y *core.Array) (*core.Array, error)

// layer runs decoder layer i on h [T, hidden] with attend as its
// attention (one sequence's, or a batch's of one position each). reduce,
// when set, is applied to the attention's and the MLP's outputs (a rank's
// partial sums under tensor parallelism).
func (m *Model) layer(i int, h *core.Array, attend func(x *core.Array) (*core.Array, error), reduce reduceFunc) (out *core.Array, err error) {
	b := &m.layers[i]
	eps := m.Config.RMSNormEps
	x, err := core.RMSNormOp(h, b.inNorm, eps)
	if err != nil {
		return nil, err
	}
	a, err := attend(x)
	if err != nil {
		return nil, err
	}
	if reduce != nil {
		if a, err = reduce("attention", a); err != nil {
			return nil, err
		}
	}
	if b.postAttnNorm != nil {
		if a, err = core.RMSNormOp(a, b.postAttnNorm, eps); err != nil {
			return nil, err
		}
	}
	if h, err = core.BinaryOp("add", h, a); err != nil {
		return nil, err
	}
	if x, err = core.RMSNormOp(h, b.preMLPNorm, eps); err != nil {
		return nil, err
	}
	y, err := m.mlp(b, x)
	if err != nil {
		return nil, err
	}
	if reduce != nil {
		if y, err = reduce("MLP", y); err != nil {
			return nil, err
		}
	}
	if b.postMLPNorm != nil {
		if y, err = core.RMSNormOp(y, b.postMLPNorm, eps); err != nil {
			return nil, err
		}
	}
	if out, err = core.BinaryOp("add", h, y); err != nil {
		return nil, err
	}
	return out, nil
}

// attention is grouped-query self-attention: projections (with biases
// where set), per-head q/k norms, rope (over the leading RotaryDim
// dimensions), the new keys and values written into the cache at its
// position, attention over the cache up to them with the layer's window
// and the score soft cap, the output projection.
func (m *Model) attention(i int, x *core.Array, c *Cache, r rotary) (*core.Array, error) {
	b := &m.layers[i]
	cfg := m.Config
	t := x.Shape()[0]
	q, k, v, err := m.project(b, x, r)
	if err != nil {
		return nil, err
	}
	if err := core.WriteRowsOp(c.k[i], k, c.pos); err != nil {
		return nil, err
	}
	if err := core.WriteRowsOp(c.v[i], v, c.pos); err != nil {
		return nil, err
	}
	// The cache keeps every position; a sliding-window layer's window
	// masks the ones its queries no longer see.
	a, err := core.CachedAttentionOp(q, c.k[i], c.v[i], c.pos, core.AttentionParams{Scale: m.scale(), Window: b.window, SoftCap: cfg.AttnSoftCap})
	if err != nil {
		return nil, err
	}
	if a, err = a.Reshape(t, cfg.NumHeads*cfg.HeadDim); err != nil {
		return nil, err
	}
	return b.o.apply(a)
}

// project returns the rotated queries [T, NumHeads, HeadDim] and keys and
// the values [T, NumKVHeads, HeadDim] of x [T, hidden]: projections (with
// biases where set), per-head q/k norms, rope over the leading RotaryDim
// dimensions.
func (m *Model) project(b *block, x *core.Array, r rotary) (q, k, v *core.Array, err error) {
	cfg := m.Config
	t := x.Shape()[0]
	head := func(l linear, heads int, norm *core.Array, rotate bool) (*core.Array, error) {
		y, err := l.apply(x)
		if err != nil {
			return nil, err
		}
		if y, err = y.Reshape(t, heads, cfg.HeadDim); err != nil {
			return nil, err
		}
		if rotate && cfg.GGMLRopeOrder {
			if y, err = fromGGMLOrder(y); err != nil {
				return nil, err
			}
		}
		if norm != nil {
			if y, err = core.RMSNormOp(y, norm, cfg.RMSNormEps); err != nil {
				return nil, err
			}
		}
		if !rotate {
			return y, nil
		}
		return m.rope(y, r)
	}
	if q, err = head(b.q, cfg.NumHeads, b.qNorm, true); err != nil {
		return nil, nil, nil, err
	}
	if k, err = head(b.k, cfg.NumKVHeads, b.kNorm, true); err != nil {
		return nil, nil, nil, err
	}
	if v, err = head(b.v, cfg.NumKVHeads, nil, false); err != nil {
		return nil, nil, nil, err
	}
	return q, k, v, nil
}

// rope rotates the heads y [T, H, D]: all of each head, or with a partial
// rotary embedding its first RotaryDim dimensions, the rest passing
// through.
func (m *Model) rope(y *core.Array, r rotary) (*core.Array, error) {
	rd, d := m.Config.RotaryDim, m.Config.HeadDim
	if rd == d {
		return core.RoPEOp(y, r.cos, r.sin)
	}
	rot, err := y.Slice(2, 0, rd, 1)
	if err != nil {
		return nil, err
	}
	if rot, err = core.RoPEOp(rot, r.cos, r.sin); err != nil {
		return nil, err
	}
	pass, err := y.Slice(2, rd, d, 1)
	if err != nil {
		return nil, err
	}
	return core.ConcatOp(2, rot, pass)
}

// mlp is the gated feed-forward network down(act(gate(x)) * up(x)), with
// act(gate) * up as one fused op (silu_mul) for SiLU.
func (m *Model) mlp(b *block, x *core.Array) (*core.Array, error) {
	g, err := b.gate.apply(x)
	if err != nil {
		return nil, err
	}
	u, err := b.up.apply(x)
	if err != nil {
		return nil, err
	}
	if m.Config.HiddenAct == "silu" {
		if g, err = core.SiLUMulOp(g, u); err != nil {
			return nil, err
		}
		return b.down.apply(g)
	}
	if g, err = core.UnaryOp(m.Config.HiddenAct, g); err != nil {
		return nil, fmt.Errorf("%s: %w", m.Config.HiddenAct, err)
	}
	if g, err = core.BinaryOp("mul", g, u); err != nil {
		return nil, err
	}
	return b.down.apply(g)
}
