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
// replay: the token's embedding row, the rope angles of its position and
// the position itself (the cache's device position). The cache must not
// move while the graph lives; run re-records after the cache grew.
type stepGraph struct {
	m        *Model
	c        *Cache
	greedy   bool
	g        *core.Graph
	capacity int         // the cache capacity the graph was recorded at
	x        *core.Array // [1, hidden], activation dtype
	rot      rotaries    // [1, RotaryDim/2] F32 each; local shares global's unless the model has its own
	logits   *core.Array // [1, vocab]
	best     *core.Array // [1] I64, the argmax of logits (greedy only)
}

// newStep allocates the step's input arrays on the model's device.
// greedy records the argmax of the logits too, so that only the token
// id crosses to the host.
func (m *Model) newStep(c *Cache, greedy bool) (*stepGraph, error) {
	s := &stepGraph{m: m, c: c, greedy: greedy}
	var err error
	if s.x, err = core.Empty(m.dev, m.dtype, core.Shape{1, m.Config.HiddenSize}); err != nil {
		return nil, err
	}
	table := func(inv []float32) (r rotary, err error) {
		if r.cos, err = core.Empty(m.dev, core.F32, core.Shape{1, len(inv)}); err != nil {
			return r, err
		}
		r.sin, err = core.Empty(m.dev, core.F32, core.Shape{1, len(inv)})
		return r, err
	}
	if s.rot.global, err = table(m.invFreq); err != nil {
		return nil, err
	}
	s.rot.local = s.rot.global
	if m.localInvFreq != nil {
		if s.rot.local, err = table(m.localInvFreq); err != nil {
			return nil, err
		}
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
	if err := m.dev.CopyFromHost(s.x.Storage(), 0, b); err != nil {
		return 0, nil, err
	}
	if err := s.angles(s.rot.global, m.invFreq); err != nil {
		return 0, nil, err
	}
	if m.localInvFreq != nil {
		if err := s.angles(s.rot.local, m.localInvFreq); err != nil {
			return 0, nil, err
		}
	}
	if err := c.setPos(c.n); err != nil {
		return 0, nil, err
	}
	if s.g == nil {
		s.g, err = core.Record(m.dev, func() error {
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

// angles writes the rope angles of the cache's position into r.
func (s *stepGraph) angles(r rotary, inv []float32) error {
	cv, sv := angles(inv, s.c.n, 1)
	if err := s.m.dev.CopyFromHost(r.cos.Storage(), 0, f32Bytes(cv)); err != nil {
		return err
	}
	return s.m.dev.CopyFromHost(r.sin.Storage(), 0, f32Bytes(sv))
}

// close releases the recorded graph.
func (s *stepGraph) close() error {
	if s == nil || s.g == nil {
		return nil
	}
	return s.g.Close()
}

func f32Bytes(v []float32) []byte {
	b := make([]byte, 0, 4*len(v))
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}
