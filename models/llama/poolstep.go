package llama

import (
	"errors"
	"fmt"

	"github.com/lbrx/lbrx/core"
)

// poolStep is a Pool's decode step at one batch width: its inputs live in
// fixed device arrays, views of one buffer written in one upload per
// step (the tokens' embedding rows, the rope angles of their positions,
// each row's cache row to write, block table and position), so the step
// recorded once replays for any sequences at any positions. Its first
// run goes op by op (a backend loads its kernels at their first use,
// which has no place in a captured graph); the second records.
type poolStep struct {
	p      *Pool
	width  int
	ran    bool // ran once op by op
	eager  bool // the device cannot record the step: always op by op
	g      *core.Graph
	in     core.Storage
	buf    []byte
	x      *core.Array // [W, hidden], activation dtype (embed nil)
	tok    *core.Array // [W] I32: each row's token id (embed set)
	embed  *core.Array // the device's embedding table, or nil: rows come from the host
	rot    rotaries    // [W, RotaryDim/2] F32 each
	idx    *core.Array // [W] I32: the cache row each row's key and value go to, -1 for padding
	table  *core.Array // [W, table] I32: each row's blocks
	pos    *core.Array // [W] I32: each row's position, -1 for padding
	logits *core.Array // [W, vocab], the recorded output
}

// newStep allocates the inputs of a step of width w.
func (p *Pool) newStep(w int) (*poolStep, error) {
	m := p.m
	st := &poolStep{p: p, width: w}
	half := len(m.invFreq)
	x := inputView{&st.x, m.dtype, core.Shape{w, m.Config.HiddenSize}}
	if p.embed != nil {
		st.embed = p.embed
		x = inputView{&st.tok, core.I32, core.Shape{w}}
	}
	views := []inputView{
		x,
		{&st.rot.global.cos, core.F32, core.Shape{w, half}},
		{&st.rot.global.sin, core.F32, core.Shape{w, half}},
		{&st.idx, core.I32, core.Shape{w}},
		{&st.table, core.I32, core.Shape{w, p.table}},
		{&st.pos, core.I32, core.Shape{w}},
	}
	if m.localInvFreq != nil {
		views = append(views, inputView{&st.rot.local.cos, core.F32, core.Shape{w, half}},
			inputView{&st.rot.local.sin, core.F32, core.Shape{w, half}})
	}
	var err error
	if st.in, st.buf, err = allocInputs(m.dev, views); err != nil {
		return nil, err
	}
	if m.localInvFreq == nil {
		st.rot.local = st.rot.global
	}
	return st, nil
}

// run writes the step's inputs for ids and seqs (checked by Decode and
// PrefillBatch): row i runs ids[i] at position at[i] of seqs[i], a nil
// sequence making the row padding, and runs, records or replays the
// step.
func (st *poolStep) run(ids []int, seqs []*PoolSeq, at []int) (*core.Array, error) {
	p, m := st.p, st.p.m
	rowIDs := make([]int, len(ids))
	copy(rowIDs, ids)
	pos := make([]int, len(ids))
	for i, s := range seqs {
		if s == nil {
			rowIDs[i] = 0 // any id: a padding row's output is not read
			continue
		}
		pos[i] = at[i]
	}
	b := st.buf
	if st.embed != nil {
		if err := checkTokenIDs(rowIDs, m.Config.VocabSize); err != nil {
			return nil, err
		}
		for i, id := range rowIDs {
			putI32(b, (st.tok.Offset()+i)*4, id)
		}
	} else {
		rows, err := m.hostEmbedding(rowIDs)
		if err != nil {
			return nil, err
		}
		eb, err := rows.Bytes()
		if err != nil {
			return nil, err
		}
		copy(b[st.x.Offset()*m.dtype.Size():], eb)
	}
	putAngles(b, st.rot.global, m.invFreq, pos)
	if m.localInvFreq != nil {
		putAngles(b, st.rot.local, m.localInvFreq, pos)
	}
	for i, s := range seqs {
		at := st.table.Offset() + i*p.table
		if s == nil {
			putI32(b, (st.idx.Offset()+i)*4, -1)
			putI32(b, (st.pos.Offset()+i)*4, -1)
			for e := range p.table {
				putI32(b, (at+e)*4, 0)
			}
			continue
		}
		putI32(b, (st.idx.Offset()+i)*4, int(s.rows(pos[i], pos[i]+1)[0]))
		putI32(b, (st.pos.Offset()+i)*4, pos[i])
		for e := range p.table {
			blk := 0 // entries past the sequence's blocks are never read
			if e < len(s.blocks) {
				blk = s.blocks[e]
			}
			putI32(b, (at+e)*4, blk)
		}
	}
	if err := m.dev.CopyFromHost(st.in, 0, b); err != nil {
		return nil, err
	}
	switch {
	case st.g != nil:
		if err := st.g.Replay(); err != nil {
			return nil, err
		}
		return st.logits, nil
	case !st.ran || st.eager:
		st.ran = true
		return st.forward()
	}
	var err error
	st.g, err = core.Record(m.dev, func() error {
		var err error
		st.logits, err = st.forward()
		return err
	})
	if errors.Is(err, core.ErrUnsupported) {
		// An op the device runs only by decomposing it (a backend
		// without the paged kernels): run the step op by op from now
		// on. Any cache write the failed recording ran stored the very
		// rows the run below stores again.
		st.eager = true
		return st.forward()
	}
	if err != nil {
		return nil, fmt.Errorf("llama: record the batch decode step: %w", err)
	}
	return st.logits, nil
}

// forward is the step's ops: the layers over the batch rows, each
// layer's attention through the pool, and the logits.
func (st *poolStep) forward() (*core.Array, error) {
	m := st.p.m
	h := st.x
	var err error
	if st.embed != nil {
		if h, err = core.GatherOp(st.embed, 0, st.tok); err != nil {
			return nil, fmt.Errorf("llama: embedding: %w", err)
		}
	}
	if m.embedScale != nil {
		if h, err = core.BinaryOp("mul", h, m.embedScale); err != nil {
			return nil, fmt.Errorf("llama: embedding scale: %w", err)
		}
	}
	s := residual{h: h}
	for l := range m.layers {
		rot := st.rot.global
		if m.layers[l].window > 0 {
			rot = st.rot.local
		}
		s, err = m.layer(l, s, func(x *core.Array) (*core.Array, error) { return st.attention(l, x, rot) }, nil)
		if err != nil {
			return nil, fmt.Errorf("llama: layer %d: %w", l, err)
		}
	}
	return m.logits(s)
}

// attention is attentionBatch over the pool: the batch's projections,
// each row's key and value stored at its cache row, each row's query
// attending its sequence's blocks, the output projection.
func (st *poolStep) attention(l int, x *core.Array, r rotary) (*core.Array, error) {
	p, m := st.p, st.p.m
	b := &m.layers[l]
	cfg := m.Config
	q, k, v, err := m.project(b, x, r)
	if err != nil {
		return nil, err
	}
	for _, a := range [][2]*core.Array{{p.k[l], k}, {p.v[l], v}} {
		dst, err := flat(a[0])
		if err != nil {
			return nil, err
		}
		if err := core.ScatterRowsOp(dst, a[1], st.idx); err != nil {
			return nil, err
		}
	}
	a, err := core.PagedAttentionOp(q, p.k[l], p.v[l], st.table, st.pos, core.AttentionParams{Scale: m.scale(), Window: b.window, SoftCap: cfg.AttnSoftCap})
	if err != nil {
		return nil, err
	}
	if a, err = a.Reshape(st.width, cfg.NumHeads*cfg.HeadDim); err != nil {
		return nil, err
	}
	return b.o.apply(a)
}

// close releases the recorded graph.
func (st *poolStep) close() error {
	if st.g == nil {
		return nil
	}
	err := st.g.Close()
	st.g = nil
	return err
}
