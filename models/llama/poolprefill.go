package llama

import (
	"fmt"

	"github.com/lbrx/lbrx/core"
)

// Prefill rows of a batched prefill pass: few on the CPU, where every
// padding row costs its arithmetic, many on a GPU, where a pass reads the
// weights once whatever its rows and launches the same kernels.
const (
	cpuPrefillRows = 8
	gpuPrefillRows = 128
)

// PrefillRows returns the rows of one pass of PrefillBatch.
func (p *Pool) PrefillRows() int { return p.prefillRows }

// SetPrefillRows sets the rows of one pass of PrefillBatch (at least 1).
// A sequence's logits do not depend on what else a prefill holds only at
// one width: change it before any prefill, not between them.
func (p *Pool) SetPrefillRows(n int) error {
	if n < 1 {
		return fmt.Errorf("llama: prefill passes of %d rows", n)
	}
	p.prefillRows = n
	p.prefill = nil
	return nil
}

// PrefillBatch runs the prompts of several empty sequences together:
// prompts[i] for seqs[i]. Their positions, stacked, run in passes of
// PrefillRows rows (the last one padded), each the decode step over
// rows that are any sequence's any position: every row's key and value
// go to its sequence's blocks, and its query attends that sequence's
// positions up to its own (paged_attention's causal mask, which also
// reaches rows an earlier pass stored). It returns the logits [len(seqs),
// VocabSize] of each prompt's last id. Every pass has the same width
// and a row's arithmetic does not depend on the other rows of its pass
// (as in Decode), so a sequence's logits are the same bits whatever
// prompts it is prefilled with (TestPoolPrefillBatch); they equal
// Prefill's to rounding. Passes run op by op: their count varies with
// the prompts, and a pass is worth little recording.
func (p *Pool) PrefillBatch(seqs []*PoolSeq, prompts [][]int) (*core.Array, error) {
	if len(seqs) == 0 || len(seqs) != len(prompts) {
		return nil, fmt.Errorf("llama: %d prompts for %d sequences", len(prompts), len(seqs))
	}
	vocab := p.m.Config.VocabSize
	total := 0
	for i, s := range seqs {
		if err := p.check(s); err != nil {
			return nil, fmt.Errorf("prompt %d: %w", i, err)
		}
		ids := prompts[i]
		switch {
		case s.n != 0:
			return nil, fmt.Errorf("llama: prompt %d: prefill of a sequence that holds %d positions already", i, s.n)
		case len(ids) == 0:
			return nil, fmt.Errorf("llama: prompt %d: no token ids", i)
		case len(ids) > s.Capacity():
			return nil, fmt.Errorf("llama: prompt %d: %d positions for a sequence that reserved %d", i, len(ids), s.Capacity())
		}
		for j := range i {
			if seqs[j] == s {
				return nil, fmt.Errorf("llama: prompts %d and %d are for one sequence", j, i)
			}
		}
		for at, id := range ids {
			if id < 0 || id >= vocab {
				return nil, fmt.Errorf("llama: prompt %d: token id %d (position %d) is outside the vocabulary [0, %d)", i, id, at, vocab)
			}
		}
		total += len(ids)
	}
	if p.prefill == nil {
		st, err := p.newStep(p.prefillRows)
		if err != nil {
			return nil, err
		}
		st.eager = true
		p.prefill = st
	}
	w := p.prefillRows
	var out *core.Array
	ids, rows, at := make([]int, w), make([]*PoolSeq, w), make([]int, w)
	dst := make([]int32, w)
	si, pi := 0, 0 // the next position to run: prompt si, position pi
	for done := 0; done < total; done += w {
		for r := range w {
			ids[r], rows[r], at[r], dst[r] = 0, nil, 0, -1
			if si == len(seqs) {
				continue // padding
			}
			ids[r], rows[r], at[r] = prompts[si][pi], seqs[si], pi
			pi++
			if pi == len(prompts[si]) {
				dst[r] = int32(si) // the prompt's last position: its logits
				si, pi = si+1, 0
			}
		}
		logits, err := p.prefill.run(ids, rows, at)
		if err != nil {
			return nil, fmt.Errorf("llama: prefill pass of positions [%d, %d): %w", done, min(done+w, total), err)
		}
		if out, err = p.keepLast(out, logits, dst, len(seqs)); err != nil {
			return nil, err
		}
	}
	for i, s := range seqs {
		s.n = len(prompts[i])
	}
	return out, nil
}

// keepLast copies the rows of a pass's logits that end a prompt into out
// [prompts, vocab] (allocated at the first pass): row r to row dst[r]
// where dst[r] is not negative.
func (p *Pool) keepLast(out, logits *core.Array, dst []int32, prompts int) (*core.Array, error) {
	keep := false
	for _, d := range dst {
		keep = keep || d >= 0
	}
	if !keep {
		return out, nil
	}
	var err error
	if out == nil {
		if out, err = core.Empty(p.m.dev, logits.DType(), core.Shape{prompts, logits.Shape()[1]}); err != nil {
			return nil, err
		}
	}
	it, err := core.FromSlice(dst, len(dst))
	if err != nil {
		return nil, err
	}
	idx, err := it.Array().To(p.m.dev)
	if err != nil {
		return nil, err
	}
	if err := core.ScatterRowsOp(out, logits, idx); err != nil {
		return nil, fmt.Errorf("llama: keep the prompts' last logits: %w", err)
	}
	return out, nil
}
