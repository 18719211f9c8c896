package llama

import (
	"encoding/binary"
	"fmt"

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
	half := len(m.invFreq)
	views := []inputView{
		{&s.x, m.dtype, core.Shape{1, m.Config.HiddenSize}},
		{&s.rot.global.cos, core.F32, core.Shape{1, half}},
		{&s.rot.global.sin, core.F32, core.Shape{1, half}},
	}
	if m.localInvFreq != nil {
		views = append(views, inputView{&s.rot.local.cos, core.F32, core.Shape{1, half}},
			inputView{&s.rot.local.sin, core.F32, core.Shape{1, half}})
	}
	views = append(views, inputView{&s.pos, core.I32, core.Shape{1}})
	var err error
	if s.in, s.buf, err = allocInputs(m.dev, views); err != nil {
		return nil, err
	}
	if m.localInvFreq == nil {
		s.rot.local = s.rot.global
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
	if err := s.upload(id); err != nil {
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

// upload writes the inputs of token id at the cache's position into the
// step's input arrays: its embedding row, the rope angles and the
// position.
func (s *stepGraph) upload(id int) error {
	m, c := s.m, s.c
	rows, err := m.hostEmbedding([]int{id})
	if err != nil {
		return err
	}
	b, err := rows.Bytes()
	if err != nil {
		return err
	}
	copy(s.buf, b)
	putAngles(s.buf, s.rot.global, m.invFreq, []int{c.n})
	if m.localInvFreq != nil {
		putAngles(s.buf, s.rot.local, m.localInvFreq, []int{c.n})
	}
	binary.LittleEndian.PutUint32(s.buf[s.pos.Offset()*4:], uint32(int32(c.n)))
	return m.dev.CopyFromHost(s.in, 0, s.buf)
}

// close releases the recorded graph.
func (s *stepGraph) close() error {
	if s == nil || s.g == nil {
		return nil
	}
	return s.g.Close()
}
