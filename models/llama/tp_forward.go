package llama

import (
	"context"
	"fmt"

	"github.com/lbrx/lbrx/core"
)

// rankForward is Model.forward for rank r of a Parallel: the same steps
// on the rank's shard, with the collectives that make its partial results
// whole. It returns the gathered logits and the rank's new keys and
// values written past c's length (the caller commits them).
func (p *Parallel) rankForward(ctx context.Context, r int, ids []int, c *Cache, lastOnly bool) (logits *core.Array, err error) {
	m, comm, plan := p.ranks[r], p.comms[r], p.plans[r]
	h, err := p.embedding(ctx, r, ids)
	if err != nil {
		return nil, fmt.Errorf("llama: embedding: %w", err)
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
	if err := m.grow(c, len(ids)); err != nil {
		return nil, err
	}
	if err := c.setPos(c.n); err != nil {
		return nil, err
	}
	s := residual{h: h}
	for i := range m.layers {
		rot := global
		if m.layers[i].window > 0 {
			rot = local
		}
		if s, err = p.block(ctx, r, i, s, c, rot); err != nil {
			return nil, fmt.Errorf("llama: layer %d: %w", i, err)
		}
	}
	if lastOnly && len(ids) > 1 {
		if s, err = s.rows(len(ids)-1, len(ids)); err != nil {
			return nil, err
		}
	}
	if _, h, err = m.addNorm(s, m.norm); err != nil {
		return nil, fmt.Errorf("llama: final norm: %w", err)
	}
	if logits, err = m.lmHead.apply(h); err != nil {
		return nil, fmt.Errorf("llama: lm_head: %w", err)
	}
	// Every rank's share of the vocabulary is padded to the largest one's
	// (collectives take equal shapes); the padding is cut off after.
	if pad := plan.vocabPer - (plan.vocabHi - plan.vocabLo); pad > 0 {
		z, err := core.Empty(m.dev, logits.DType(), core.Shape{logits.Shape()[0], pad})
		if err != nil {
			return nil, err
		}
		if logits, err = core.ConcatOp(1, logits, z); err != nil {
			return nil, err
		}
	}
	if logits, err = comm.AllGather(ctx, logits, 1); err != nil {
		return nil, fmt.Errorf("llama: lm_head all-gather: %w", err)
	}
	if v := p.Config.VocabSize; logits.Shape()[1] > v {
		if logits, err = logits.Slice(1, 0, v, 1); err != nil {
			return nil, err
		}
	}
	if m.finalCap != nil {
		if logits, err = softCap(logits, m.finalCap); err != nil {
			return nil, fmt.Errorf("llama: final logit soft-capping: %w", err)
		}
	}
	return logits, nil
}

// embedding is the vocabulary-parallel lookup: each rank looks up the ids
// in its share of the table, zeroes the rows of ids outside it, and the
// all-reduce sums the one real row of each position with zeros (exact).
func (p *Parallel) embedding(ctx context.Context, r int, ids []int) (*core.Array, error) {
	m, plan := p.ranks[r], p.plans[r]
	local := make([]int, len(ids))
	mask := make([]float32, len(ids))
	partial := false
	for i, id := range ids {
		if id >= plan.vocabLo && id < plan.vocabHi {
			local[i], mask[i] = id-plan.vocabLo, 1
		} else {
			partial = true
		}
	}
	h, err := m.embedding(local)
	if err != nil {
		return nil, err
	}
	if partial {
		mt, err := core.FromSlice(mask, len(ids), 1)
		if err != nil {
			return nil, err
		}
		ma, err := core.CastOp(mt.Array(), m.dtype)
		if err == nil {
			ma, err = ma.To(m.dev)
		}
		if err != nil {
			return nil, err
		}
		if h, err = core.BinaryOp("mul", h, ma); err != nil {
			return nil, err
		}
	}
	return p.comms[r].AllReduceSum(ctx, h)
}

// block is Model.block on rank r's shard: the attention's and the MLP's
// outputs are partial sums over the rank's heads and intermediate
// columns, made whole by an all-reduce before the norms and residuals
// that need all of them.
func (p *Parallel) block(ctx context.Context, r, i int, s residual, c *Cache, rot rotary) (residual, error) {
	m, comm := p.ranks[r], p.comms[r]
	return m.layer(i, s, func(x *core.Array) (*core.Array, error) { return m.attention(i, x, c, rot) },
		func(part string, y *core.Array) (*core.Array, error) {
			y, err := comm.AllReduceSum(ctx, y)
			if err != nil {
				return nil, fmt.Errorf("%s all-reduce: %w", part, err)
			}
			return y, nil
		})
}
