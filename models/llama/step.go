package llama

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/lbrx/lbrx/core"
)

// stepGraph is the decode step of one token, recorded once with
// core.Record and replayed for every later token: on CUDA one CUDA graph
// launch runs the whole step, without a host round trip per op. What
// changes from token to token is written into fixed arrays before each
// replay, in one upload: the token's embedding row, the rope angles of
// its position and the position itself, which the step's first op
// copies into the cache's device position. The cache must not move
// while the graph lives; run re-records after the cache grew.
type stepGraph struct {
	m        *Model
	c        *Cache
	greedy   bool
	g        *core.Graph
	capacity int // the cache capacity the graph was recorded at
	// in is the device buffer of the inputs below, all views of it; buf
	// is its host image, written and uploaded whole per token.
	in     core.Storage
	buf    []byte
	x      *core.Array // [1, hidden], activation dtype
	rot    rotaries    // [1, RotaryDim/2] F32 each; local shares global's unless the model has its own
	pos    *core.Array // [1] I32, the token's position
	logits *core.Array // [1, vocab]
	best   *core.Array // [1] I64, the argmax of logits (greedy only)
}

// newStep allocates the step's input arrays on the model's device.
// greedy records the argmax of the logits too, so that only the token
// id crosses to the host.
func (m *Model) newStep(c *Cache, greedy bool) (*stepGraph, error) {
	s := &stepGraph{m: m, c: c, greedy: greedy}
	// Byte offsets of the inputs in one buffer, each 16-byte aligned.
	type slot struct {
		dt    core.DType
		shape core.Shape
		off   int
	}
	var slots []*slot
	size := 0
	add := func(dt core.DType, shape core.Shape) *slot {
		sl := &slot{dt: dt, shape: shape, off: size}
		size += (shape.NumElements()*dt.Size() + 15) &^ 15
		slots = append(slots, sl)
		return sl
	}
	half := len(m.invFreq)
	xs := add(m.dtype, core.Shape{1, m.Config.HiddenSize})
	tabs := []*slot{add(core.F32, core.Shape{1, half}), add(core.F32, core.Shape{1, half})}
	if m.localInvFreq != nil {
		tabs = append(tabs, add(core.F32, core.Shape{1, half}), add(core.F32, core.Shape{1, half}))
	}
	ps := add(core.I32, core.Shape{1})
	var err error
	if s.in, err = m.dev.Alloc(size); err != nil {
		return nil, err
	}
	s.buf = make([]byte, size)
	view := func(sl *slot) (*core.Array, error) {
		return core.NewArray(sl.dt, sl.shape, s.in, sl.off/sl.dt.Size())
	}
	if s.x, err = view(xs); err != nil {
		return nil, err
	}
	t := make([]*core.Array, len(tabs))
	for i, sl := range tabs {
		if t[i], err = view(sl); err != nil {
			return nil, err
		}
	}
	s.rot.global = rotary{cos: t[0], sin: t[1]}
	s.rot.local = s.rot.global
	if len(t) == 4 {
		s.rot.local = rotary{cos: t[2], sin: t[3]}
	}
	if s.pos, err = view(ps); err != nil {
		return nil, err
	}
	if greedy {
		// Run the argmax once outside the recording: a backend loads a
		// kernel at its first use, which has no place in a captured graph.
		row, err := core.Empty(m.dev, m.dtype, core.Shape{1, m.Config.VocabSize})
		if err != nil {
			return nil, err
		}
		if _, err := core.ArgMaxOp(row, -1, false); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// run decodes token id at the cache's position: it returns the next
// token when greedy, else the logits [1, vocab]. The cache advances by
// one position.
func (s *stepGraph) run(id int) (next int, logits *core.Array, err error) {
	m, c := s.m, s.c
	if err := m.grow(c, 1); err != nil {
		return 0, nil, err
	}
	if s.g != nil && s.capacity != c.Capacity() {
		// The cache moved: the recorded addresses are stale.
		if err := s.g.Close(); err != nil {
			return 0, nil, err
		}
		s.g = nil
	}
	rows, err := m.hostEmbedding([]int{id})
	if err != nil {
		return 0, nil, err
	}
	b, err := rows.Bytes()
	if err != nil {
		return 0, nil, err
	}
	off := copy(s.buf, b)
	put := func(r rotary, inv []float32) {
		cv, sv := angles(inv, c.n, 1)
		off = r.cos.Offset() * 4
		for _, v := range [][]float32{cv, sv} {
			for _, f := range v {
				binary.LittleEndian.PutUint32(s.buf[off:], math.Float32bits(f))
				off += 4
			}
			off = r.sin.Offset() * 4
		}
	}
	put(s.rot.global, m.invFreq)
	if m.localInvFreq != nil {
		put(s.rot.local, m.localInvFreq)
	}
	binary.LittleEndian.PutUint32(s.buf[s.pos.Offset()*4:], uint32(int32(c.n)))
	if err := m.dev.CopyFromHost(s.in, 0, s.buf); err != nil {
		return 0, nil, err
	}
	if s.g == nil {
		s.g, err = core.Record(m.dev, func() error {
			// The position into the cache's, which the cache ops read.
			if err := core.Run(&core.Op{Name: "copy", Inputs: []*core.Array{s.pos}, Out: c.pos}); err != nil {
				return err
			}
			var err error
			if s.logits, err = m.layersAndHead(s.x, s.rot, c, true); err != nil {
				return err
			}
			if s.greedy {
				s.best, err = core.ArgMaxOp(s.logits, -1, false)
			}
			return err
		})
		if err != nil {
			return 0, nil, fmt.Errorf("llama: record the decode step: %w", err)
		}
		s.capacity = c.Capacity()
	} else if err := s.g.Replay(); err != nil {
		return 0, nil, err
	}
	c.n++
	if !s.greedy {
		return 0, s.logits, nil
	}
	ib, err := s.best.Bytes()
	if err != nil {
		return 0, nil, err
	}
	return int(int64(binary.LittleEndian.Uint64(ib))), nil, nil
}

// close releases the recorded graph.
func (s *stepGraph) close() error {
	if s == nil || s.g == nil {
		return nil
	}
	return s.g.Close()
}
