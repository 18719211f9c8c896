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

// residual is the residual stream h + d with d (a layer's last output)
// not yet added: the add runs fused with the RMSNorm that reads the sum
// (core.AddRMSNormOp) where the model fuses. d is nil when there is
// nothing pending.
type residual struct{ h, d *core.Array }

// addNorm returns the stream with any pending output added, and its RMSNorm
// with weight w.
func (m *Model) addNorm(s residual, w *core.Array) (residual, *core.Array, error) {
	eps := m.Config.RMSNormEps
	if s.d == nil {
		x, err := core.RMSNormOp(s.h, w, eps)
		return s, x, err
	}
	if m.fusedNorm {
		h, x, err := core.AddRMSNormOp(s.h, s.d, w, eps)
		return residual{h: h}, x, err
	}
	h, err := core.BinaryOp("add", s.h, s.d)
	if err != nil {
		return s, nil, err
	}
	x, err := core.RMSNormOp(h, w, eps)
	return residual{h: h}, x, err
}

// rows returns the stream's rows [lo, hi).
func (s residual) rows(lo, hi int) (residual, error) {
	var err error
	if s.h, err = s.h.Slice(0, lo, hi, 1); err != nil || s.d == nil {
		return s, err
	}
	s.d, err = s.d.Slice(0, lo, hi, 1)
	return s, err
}

// block runs decoder layer i on the stream s [T, hidden] at the cache's
// position, writes the layer's new keys and values into c and returns
// the new stream:
//
//	h = h + post_attn_norm(attention(in_norm(h)))       (post norm: sandwich layout only)
//	h = h + post_mlp_norm(mlp(pre_mlp_norm(h)))
func (m *Model) block(i int, s residual, c *Cache, r rotary) (residual, error) {
	return m.layer(i, s, func(x *core.Array) (*core.Array, error) { return m.attention(i, x, c, r) }, nil)
}

// reduceFunc makes a partial attention or MLP output whole before the
// norms and residual that need all of it (a tensor-parallel all-reduce);
// part names which, for errors.
type reduceFunc func(part string, y *core.Array) (*core.Array, error)

// layer runs decoder layer i on the stream s [T, hidden] with attend as
// its attention (one sequence's, or a batch's of one position each).
// reduce, when set, is applied to the attention's and the MLP's outputs
// (a rank's partial sums under tensor parallelism). The MLP's output is
// returned pending (residual.d), for the next norm to add.
func (m *Model) layer(i int, s residual, attend func(x *core.Array) (*core.Array, error), reduce reduceFunc) (residual, error) {
	b := &m.layers[i]
	eps := m.Config.RMSNormEps
	s, x, err := m.addNorm(s, b.inNorm)
	if err != nil {
		return s, err
	}
	a, err := attend(x)
	if err != nil {
		return s, err
	}
	if reduce != nil {
		if a, err = reduce("attention", a); err != nil {
			return s, err
		}
	}
	if b.postAttnNorm != nil {
		if a, err = core.RMSNormOp(a, b.postAttnNorm, eps); err != nil {
			return s, err
		}
	}
	if s, x, err = m.addNorm(residual{h: s.h, d: a}, b.preMLPNorm); err != nil {
		return s, err
	}
	y, err := m.mlp(b, x)
	if err != nil {
		return s, err
	}
	if reduce != nil {
		if y, err = reduce("MLP", y); err != nil {
			return s, err
		}
	}
	if b.postMLPNorm != nil {
		if y, err = core.RMSNormOp(y, b.postMLPNorm, eps); err != nil {
			return s, err
		}
	}
	return residual{h: s.h, d: y}, nil
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
	var q *core.Array
	if m.ropeCache(b) {
		// One merged projection, then rope and the cache writes in one op.
		qkv, err := b.qkv.apply(x)
		if err != nil {
			return nil, err
		}
		if q, err = core.RoPECacheOp(qkv, r.cos, r.sin, c.pos, c.k[i], c.v[i], cfg.NumHeads); err != nil {
			return nil, err
		}
	} else {
		var k, v *core.Array
		var err error
		if q, k, v, err = m.project(b, x, r); err != nil {
			return nil, err
		}
		if err := core.WriteRowsOp(c.k[i], k, c.pos); err != nil {
			return nil, err
		}
		if err := core.WriteRowsOp(c.v[i], v, c.pos); err != nil {
			return nil, err
		}
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

// ropeCache reports whether layer b runs rope and the cache writes as one
// rope_cache op on its merged q/k/v projection: fused models whose heads
// rotate whole, in Hugging Face's order, without q/k norms.
func (m *Model) ropeCache(b *block) bool {
	cfg := m.Config
	return m.fused && b.qkv.w != nil && b.qNorm == nil && b.kNorm == nil &&
		cfg.RotaryDim == cfg.HeadDim && !b.ggmlOrder
}

// project returns the rotated queries [T, NumHeads, HeadDim] and keys and
// the values [T, NumKVHeads, HeadDim] of x [T, hidden]: projections (with
// biases where set), per-head q/k norms, rope over the leading RotaryDim
// dimensions.
func (m *Model) project(b *block, x *core.Array, r rotary) (q, k, v *core.Array, err error) {
	cfg := m.Config
	t := x.Shape()[0]
	// One row (a decode step): the merged projection (or on the CPU the
	// shared product of the quantized weights), whose columns for q, k
	// and v are then contiguous views. Several rows: the stacked
	// quantized projection with each part whole (Model.parts).
	var ys []*core.Array
	switch {
	case t == 1 && m.fused && b.qkv.w != nil:
		y, err := b.qkv.apply(x)
		if err != nil {
			return nil, nil, nil, err
		}
		qd, kv := cfg.NumHeads*cfg.HeadDim, cfg.NumKVHeads*cfg.HeadDim
		for _, c := range [][2]int{{0, qd}, {qd, qd + kv}, {qd + kv, qd + 2*kv}} {
			part, err := y.Slice(1, c[0], c[1], 1)
			if err != nil {
				return nil, nil, nil, err
			}
			ys = append(ys, part)
		}
	case t == 1:
		if ys, _, err = m.shared(x, b.q, b.k, b.v); err != nil {
			return nil, nil, nil, err
		}
	default:
		if ys, _, err = m.parts(x, b.qkv, b.q, b.k, b.v); err != nil {
			return nil, nil, nil, err
		}
	}
	head := func(l linear, heads int, norm *core.Array, rotate bool) (*core.Array, error) {
		var y *core.Array
		var err error
		if ys != nil {
			y, ys = ys[0], ys[1:]
		} else if y, err = l.apply(x); err != nil {
			return nil, err
		}
		if y, err = y.Reshape(t, heads, cfg.HeadDim); err != nil {
			return nil, err
		}
		if rotate && b.ggmlOrder && norm == nil && m.hostRope && cfg.RotaryDim == cfg.HeadDim {
			return core.RoPEGGMLOp(y, r.cos, r.sin) // reorder and rotate in one pass
		}
		if rotate && b.ggmlOrder {
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
	if x.Shape()[0] == 1 && m.fused && b.gateUp.w != nil && m.Config.HiddenAct == "silu" && b.down.w.Quant() == nil {
		// A decode step with a float down projection: the merged gate/up
		// projection, then the down projection reading silu(gate) * up
		// from it (one op). Quantized weights keep silu_mul and the
		// product apart: CUDA's gated matrix-vector kernels for them
		// measured slower than the two kernels (cuda/glu.go).
		gu, err := b.gateUp.apply(x)
		if err != nil {
			return nil, err
		}
		y, err := core.SiLUMulMatMulOp(gu, b.down.wT)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", b.down.w.Name(), err)
		}
		if b.down.b != nil {
			if y, err = core.BinaryOp("add", y, b.down.b); err != nil {
				return nil, fmt.Errorf("%s bias: %w", b.down.w.Name(), err)
			}
		}
		return y, nil
	}
	g, u, err := m.gateUp(b, x)
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

// gateUp returns the gate and up projections of x: for one row (a decode
// step) of a fused model through the merged weight, its halves being
// contiguous views then; for several rows of a fused model with
// quantized weights as one quantized_matmul_parts (Model.parts), each
// half whole; for one row on the CPU with quantized weights as one
// shared product (Model.shared); else one by one, so that silu_mul
// reads contiguous operands without a gather.
func (m *Model) gateUp(b *block, x *core.Array) (g, u *core.Array, err error) {
	if x.Shape()[0] == 1 && m.fused && b.gateUp.w != nil {
		y, err := b.gateUp.apply(x)
		if err != nil {
			return nil, nil, err
		}
		n := m.Config.IntermediateSize
		if g, err = y.Slice(1, 0, n, 1); err != nil {
			return nil, nil, err
		}
		u, err = y.Slice(1, n, 2*n, 1)
		return g, u, err
	}
	if ys, ok, err := m.parts(x, b.gateUp, b.gate, b.up); err != nil || ok {
		if err != nil {
			return nil, nil, err
		}
		return ys[0], ys[1], nil
	}
	if ys, ok, err := m.shared(x, b.gate, b.up); err != nil || ok {
		if err != nil {
			return nil, nil, err
		}
		return ys[0], ys[1], nil
	}
	if g, err = b.gate.apply(x); err != nil {
		return nil, nil, err
	}
	u, err = b.up.apply(x)
	return g, u, err
}
