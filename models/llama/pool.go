package llama

import (
	"encoding/binary"
	"fmt"

	"github.com/lbrx/lbrx/core"
)

// PoolBlock is the positions one block of a Pool holds.
const PoolBlock = 16

// Pool is a paged KV cache shared by many sequences of one model, the
// cache of a server decoding them as a batch: every layer's keys and
// values live in one array of blocks [blocks, PoolBlock, KVHeads,
// HeadDim], and each sequence owns the blocks its reservation needs,
// named in order by its block table. Decode runs one token of each of
// a batch of sequences in one pass (core.ScatterRowsOp writes the new
// keys and values, core.PagedAttentionOp attends), recorded once per
// batch width (core.Record: one CUDA graph launch per step on CUDA) and
// replayed with the new tokens, positions and tables as device data.
//
// Memory grows with what the live sequences reserve: the pool doubles
// its blocks when a new sequence needs more than are free (copying the
// cached rows, and recording its steps anew; old and new blocks are both
// held while they copy). NewPool's limit bounds the doubling, not the
// reservations: a caller keeps those within its budget (lbrx serve's
// engine does). A Pool is not safe for concurrent use.
type Pool struct {
	m      *Model
	maxLen int // positions a sequence holds at most
	table  int // block table entries of a sequence: maxLen/PoolBlock rounded up
	limit  int // blocks the pool grows to at most (0: no limit)
	k, v   []*core.Array
	free   []int
	seqs   map[*PoolSeq]bool
	// scratch is the contiguous cache prompts run in (Forward), copied
	// into their blocks after.
	scratch *Cache
	zero    *core.Array // I32 0 on the device
	// embed is the device's embedding table the passes gather their
	// rows from, or nil: the rows are dequantized on the host.
	embed *core.Array
	steps map[int]*poolStep
	// prefill is PrefillBatch's pass of prefillRows rows, run op by op.
	prefill     *poolStep
	prefillRows int
}

// PoolSeq is a sequence holding blocks of a Pool.
type PoolSeq struct {
	blocks []int
	n      int
}

// Len returns the positions the sequence has cached.
func (s *PoolSeq) Len() int { return s.n }

// Capacity returns the positions its blocks hold.
func (s *PoolSeq) Capacity() int { return len(s.blocks) * PoolBlock }

// NewPool returns an empty pool for sequences of up to maxLen
// positions; maxPositions, when positive, bounds the positions its
// blocks hold in all (a sequence alone may still take maxLen).
func (m *Model) NewPool(maxLen, maxPositions int) (*Pool, error) {
	if maxLen < 1 || maxPositions < 0 {
		return nil, fmt.Errorf("llama: a pool for sequences of %d positions and %d in all", maxLen, maxPositions)
	}
	zero, err := core.Empty(m.dev, core.I32, core.Shape{1})
	if err != nil {
		return nil, err
	}
	var embed *core.Array
	if core.ReadsLater(m.dev) {
		// A device that decodes behind the host (CUDA): the passes
		// gather their rows from its copy of the table (the one
		// pipelined greedy decode reads), the same values, where the
		// host's dequantization of a quantized table's rows took 0.2 ms
		// of an 8-row step on an H200 host, time the GPU waited. The
		// table is made now, once per model (a quarter of a second for
		// 32000 tokens), not in the first request's time to first token.
		if embed, err = m.deviceEmbedding(); err != nil {
			return nil, err
		}
	}
	t := blocksFor(maxLen)
	rows := gpuPrefillRows
	if m.dev == core.CPU() {
		rows = cpuPrefillRows
	}
	return &Pool{prefillRows: rows, embed: embed,
		m: m, maxLen: maxLen, table: t, limit: max(blocksFor(maxPositions), t),
		k: make([]*core.Array, len(m.layers)), v: make([]*core.Array, len(m.layers)),
		seqs: map[*PoolSeq]bool{}, scratch: m.NewCache(), zero: zero, steps: map[int]*poolStep{},
	}, nil
}

// Rounded returns the positions a sequence reserving n holds: n rounded
// up to whole blocks.
func (p *Pool) Rounded(n int) int { return blocksFor(n) * PoolBlock }

// Reserved returns the positions the pool's sequences hold in all (each
// its Capacity).
func (p *Pool) Reserved() int { return (p.blocks() - len(p.free)) * PoolBlock }

// blocksFor returns the blocks n positions take.
func blocksFor(n int) int { return (n + PoolBlock - 1) / PoolBlock }

// blocks returns the blocks the pool holds.
func (p *Pool) blocks() int {
	if p.k[0] == nil {
		return 0
	}
	return p.k[0].Shape()[0]
}

// Add reserves room for a new sequence of up to n positions, growing
// the pool when the free blocks are too few.
func (p *Pool) Add(n int) (*PoolSeq, error) {
	if n < 1 || n > p.maxLen {
		return nil, fmt.Errorf("llama: a sequence of %d positions in a pool of sequences of up to %d", n, p.maxLen)
	}
	need := blocksFor(n)
	if need > len(p.free) {
		if err := p.grow(p.blocks() + need - len(p.free)); err != nil {
			return nil, err
		}
	}
	s := &PoolSeq{blocks: append([]int(nil), p.free[len(p.free)-need:]...)}
	p.free = p.free[:len(p.free)-need]
	p.seqs[s] = true
	return s, nil
}

// Remove gives s's blocks back; s must not be used after.
func (p *Pool) Remove(s *PoolSeq) {
	if s == nil || !p.seqs[s] {
		return
	}
	delete(p.seqs, s)
	p.free = append(p.free, s.blocks...)
	s.blocks, s.n = nil, 0
}

// grow makes the pool hold at least n blocks: twice its blocks, within
// the limit, or n if more. The cached rows move with the blocks, and
// the recorded steps, whose addresses are stale, are dropped.
func (p *Pool) grow(n int) error {
	old := p.blocks()
	n = max(n, min(2*old, p.limit))
	cfg := p.m.Config
	k, v := make([]*core.Array, len(p.k)), make([]*core.Array, len(p.v))
	for l := range p.k {
		for _, a := range []struct{ dst, src []*core.Array }{{k, p.k}, {v, p.v}} {
			g, err := core.Empty(p.m.dev, p.m.dtype, core.Shape{n, PoolBlock, cfg.NumKVHeads, cfg.HeadDim})
			if err != nil {
				return fmt.Errorf("llama: KV pool of %d blocks of %d positions: %w", n, PoolBlock, err)
			}
			if a.src[l] != nil {
				if err := core.WriteRowsOp(g, a.src[l], p.zero); err != nil {
					return err
				}
			}
			a.dst[l] = g
		}
	}
	p.k, p.v = k, v
	for b := n - 1; b >= old; b-- {
		p.free = append(p.free, b)
	}
	return p.dropSteps()
}

// dropSteps closes the recorded steps.
func (p *Pool) dropSteps() error {
	var first error
	for w, st := range p.steps {
		if err := st.close(); err != nil && first == nil {
			first = err
		}
		delete(p.steps, w)
	}
	return first
}

// Recorded reports whether the decode step of width w is recorded (it
// replays as a whole), and not only run op by op.
func (p *Pool) Recorded(w int) bool {
	st := p.steps[w]
	return st != nil && st.g != nil
}

// Close releases the recorded steps; the memory goes with the pool.
func (p *Pool) Close() error { return p.dropSteps() }

// rows returns the cache rows (block*PoolBlock + offset) of s's
// positions [from, to).
func (s *PoolSeq) rows(from, to int) []int32 {
	r := make([]int32, 0, to-from)
	for j := from; j < to; j++ {
		r = append(r, int32(s.blocks[j/PoolBlock]*PoolBlock+j%PoolBlock))
	}
	return r
}

// flat returns a layer's blocks as rows [blocks*PoolBlock, KVHeads,
// HeadDim], the view scatter_rows writes.
func flat(a *core.Array) (*core.Array, error) {
	s := a.Shape()
	return a.Reshape(s[0]*s[1], s[2], s[3])
}

// check returns an error unless s is a live sequence of p.
func (p *Pool) check(s *PoolSeq) error {
	if !p.seqs[s] {
		return fmt.Errorf("llama: the sequence is not in this pool (removed, or another pool's)")
	}
	return nil
}

// Prefill runs the prompt ids of the empty sequence s, stores their keys
// and values in its blocks and returns the logits [1, VocabSize] of the
// last id. The prompt runs in one contiguous scratch cache (Forward's
// path, the same arithmetic as a sequence's own Cache), then its rows
// are copied into the blocks.
func (p *Pool) Prefill(s *PoolSeq, ids []int) (*core.Array, error) {
	if err := p.check(s); err != nil {
		return nil, err
	}
	switch {
	case s.n != 0:
		return nil, fmt.Errorf("llama: prefill of a sequence that holds %d positions already", s.n)
	case len(ids) == 0:
		return nil, fmt.Errorf("llama: no token ids")
	case len(ids) > s.Capacity():
		return nil, fmt.Errorf("llama: a prompt of %d positions for a sequence that reserved %d", len(ids), s.Capacity())
	}
	c := p.scratch
	c.Reset()
	if err := p.m.Reserve(c, len(ids)); err != nil {
		return nil, err
	}
	logits, err := p.m.ForwardLast(ids, c)
	if err != nil {
		return nil, err
	}
	it, err := core.FromSlice(s.rows(0, len(ids)), len(ids))
	if err != nil {
		return nil, err
	}
	idx, err := it.Array().To(p.m.dev)
	if err != nil {
		return nil, err
	}
	for l := range p.k {
		for _, a := range [][2]*core.Array{{p.k[l], c.k[l]}, {p.v[l], c.v[l]}} {
			dst, err := flat(a[0])
			if err != nil {
				return nil, err
			}
			src, err := a[1].Slice(0, 0, len(ids), 1)
			if err != nil {
				return nil, err
			}
			if err := core.ScatterRowsOp(dst, src, idx); err != nil {
				return nil, fmt.Errorf("llama: store the prompt's keys and values: %w", err)
			}
		}
	}
	s.n = len(ids)
	return logits, nil
}

// Decode runs one new token per row: ids[i] at the next position of
// seqs[i], whose keys and values it stores in the sequence's blocks. A
// nil sequence makes its row padding (nothing stored; its logits mean
// nothing). It returns the logits [len(ids), VocabSize], valid until
// the next Decode. The first pass at a width runs op by op, the second
// is recorded (core.Record) and later ones replay it. As with
// ForwardBatch, a sequence's logits do not depend on the other rows of
// a pass of the same width (TestPoolDecodeMatchesForwardBatch).
func (p *Pool) Decode(ids []int, seqs []*PoolSeq) (*core.Array, error) {
	if len(ids) == 0 || len(ids) != len(seqs) {
		return nil, fmt.Errorf("llama: %d token ids for %d sequences", len(ids), len(seqs))
	}
	for i, s := range seqs {
		if s == nil {
			continue
		}
		if err := p.check(s); err != nil {
			return nil, fmt.Errorf("batch row %d: %w", i, err)
		}
		if s.n >= s.Capacity() || s.n >= p.maxLen {
			return nil, fmt.Errorf("llama: batch row %d: the sequence's %d reserved positions are used up", i, min(s.Capacity(), p.maxLen))
		}
		for j := range i {
			if seqs[j] == s {
				return nil, fmt.Errorf("llama: batch rows %d and %d are one sequence", j, i)
			}
		}
	}
	if p.blocks() == 0 {
		return nil, fmt.Errorf("llama: decode in a pool that holds no sequence")
	}
	st := p.steps[len(ids)]
	if st == nil {
		var err error
		if st, err = p.newStep(len(ids)); err != nil {
			return nil, err
		}
		p.steps[len(ids)] = st
	}
	at := make([]int, len(seqs))
	for i, s := range seqs {
		if s != nil {
			at[i] = s.n
		}
	}
	logits, err := st.run(ids, seqs, at)
	if err != nil {
		// A failed replay fails every later one: the next call starts
		// the width afresh.
		_ = st.close()
		delete(p.steps, len(ids))
		return nil, err
	}
	for _, s := range seqs {
		if s != nil {
			s.n++
		}
	}
	return logits, nil
}

// putI32 writes v at byte offset off of b.
func putI32(b []byte, off int, v int) { binary.LittleEndian.PutUint32(b[off:], uint32(int32(v))) }
