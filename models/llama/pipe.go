package llama

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync/atomic"

	"github.com/lbrx/lbrx/core"
)

// decodePipeline is LBRX_DECODE_PIPELINE, read once at start: "off"
// makes greedy decode wait for each token before it queues the next step
// (stepGraph), the loop before the pipeline; anything else lets it queue
// steps ahead (pipe) on a device that reads back behind its queue.
var decodePipeline = os.Getenv("LBRX_DECODE_PIPELINE") != "off"

// pipelineEverywhere lets tests run the pipeline on the CPU, where it
// gains nothing (every op has run when it returns) but must give the
// same tokens.
var pipelineEverywhere = false

// pipeSteps counts the steps every pipe has queued: tests read it to
// tell the pipeline from the loop it falls back to, which gives the same
// tokens.
var pipeSteps atomic.Int64

// pipeDepth is how many steps the pipeline keeps queued: the one the
// device runs while the host reads the last token, and the next.
const pipeDepth = 2

// errNoPipe says the pipelined step could not be recorded (an op without
// a kernel on the device: core.ErrUnsupported); nothing was queued, and the caller goes on
// with the step that uploads its inputs.
var errNoPipe = errors.New("llama: the pipelined decode step cannot be recorded")

// pipe is greedy decode with the step's inputs on the device: the
// recorded step reads the token id and the position from device memory,
// gathers the embedding row from a device copy of the table and the rope
// row of its position from a table of every position the cache holds,
// and ends by writing its argmax into the token id and position+1 into
// the position. Step N+1 can so be queued before the host has read token
// N: the host queues a read of each step's token behind it
// (core.ReadLater) and reads them in order while the device runs the
// steps after. The inputs are the values the unpipelined step uploads
// (the same rows, putAngles' angles), so the tokens are the same.
//
// A step queued past the last token the caller takes (an end-of-sequence
// token, a yield returning false) writes the cache row at c.Len(), which
// the next call overwrites first; its token is never read.
type pipe struct {
	m     *Model
	c     *Cache
	g     *core.Graph
	embed *core.Array // [vocab, hidden], activation dtype, on the device
	// cos and sin tables [rows, RotaryDim/2] F32 per rope kind: every
	// position a step may run at, below the cache capacity the graph was
	// recorded at and below end, the generation's last position + 1.
	tabs      rotaries
	rows, end int
	capacity  int
	in        core.Storage
	buf       []byte
	tok       *core.Array // [1] I32: the token id the next step runs
	pos       *core.Array // [1] I32: its position
	one       *core.Array // [1] I32: 1
	best      *core.Array // [1] I64: the argmax of the last step
}

// usePipe reports whether a generation with o and sampler s runs its
// decode steps through pipe.
func (m *Model) usePipe(o GenerateOptions, s *Sampler) bool {
	return decodePipeline && !o.Eager && o.MaxTokens > 2 && deviceGreedy(s.Options()) &&
		(pipelineEverywhere || core.ReadsLater(m.dev))
}

// newPipe allocates the pipeline's inputs, the device embedding table
// and the rope tables of the positions below end (the generation's, as
// far as c's capacity goes), and runs once, outside any recording, the
// ops the step adds to the layers: a backend loads a kernel at its first
// use, which has no place in a captured graph.
func (m *Model) newPipe(c *Cache, end int) (*pipe, error) {
	emb, err := m.deviceEmbedding()
	if err != nil {
		return nil, err
	}
	p := &pipe{m: m, c: c, embed: emb, end: end}
	views := []inputView{
		{&p.tok, core.I32, core.Shape{1}},
		{&p.pos, core.I32, core.Shape{1}},
		{&p.one, core.I32, core.Shape{1}},
	}
	if p.in, p.buf, err = allocInputs(m.dev, views); err != nil {
		return nil, err
	}
	binary.LittleEndian.PutUint32(p.buf[p.one.Offset()*4:], 1)
	if err := m.dev.CopyFromHost(p.in, 0, p.buf); err != nil {
		return nil, err
	}
	if err := p.tables(); err != nil {
		return nil, err
	}
	row, err := core.Empty(m.dev, m.dtype, core.Shape{1, m.Config.VocabSize})
	if err != nil {
		return nil, err
	}
	best, err := core.ArgMaxOp(row, -1, false)
	if err != nil {
		return nil, err
	}
	if _, err := core.CastOp(best, core.I32); err != nil {
		return nil, err
	}
	if _, err := core.BinaryOp("add", p.pos, p.one); err != nil {
		return nil, err
	}
	for _, t := range []*core.Array{emb, p.tabs.global.cos, p.tabs.local.cos} {
		if _, err := core.GatherOp(t, 0, p.pos); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// tables uploads the rope tables of positions [0, min(capacity, end))
// unless they are there: the rows putAngles writes for each position,
// computed by the same function.
func (p *pipe) tables() error {
	m := p.m
	n := max(1, min(p.c.Capacity(), p.end))
	if n == p.rows {
		return nil
	}
	p.rows = n
	var err error
	if p.tabs.global.cos, p.tabs.global.sin, err = tables(m.invFreq, 0, n, m.dev); err != nil {
		return err
	}
	p.tabs.local = p.tabs.global
	if m.localInvFreq != nil {
		if p.tabs.local.cos, p.tabs.local.sin, err = tables(m.localInvFreq, 0, n, m.dev); err != nil {
			return err
		}
	}
	return nil
}

// deviceEmbedding returns the embedding table in the activation dtype on
// the model's device, made once per model from hostEmbedding's rows (a
// quantized table dequantized row by row as hostEmbedding does), a few
// thousand rows at a time so the host never holds it whole.
func (m *Model) deviceEmbedding() (*core.Array, error) {
	m.devEmbedMu.Lock()
	defer m.devEmbedMu.Unlock()
	if m.devEmbed != nil {
		return m.devEmbed, nil
	}
	const chunk = 4096
	v := m.Config.VocabSize
	var t *core.Array
	for lo := 0; lo < v; lo += chunk {
		ids := make([]int, min(chunk, v-lo))
		for i := range ids {
			ids[i] = lo + i
		}
		rows, err := m.hostEmbedding(ids)
		if err != nil {
			return nil, err
		}
		if t == nil {
			if t, err = core.Empty(m.dev, m.dtype, core.Shape{v, rows.Shape()[1]}); err != nil {
				return nil, fmt.Errorf("llama: the embedding table on %s: %w", m.dev.Name(), err)
			}
		}
		b, err := rows.Bytes()
		if err != nil {
			return nil, err
		}
		if err := m.dev.CopyFromHost(t.Storage(), (t.Offset()+lo*rows.Shape()[1])*m.dtype.Size(), b); err != nil {
			return nil, err
		}
	}
	m.devEmbed = t
	return t, nil
}

// decode runs the steps of up to steps tokens after id, the last token
// picked, which is not yet in the cache: each step's argmax goes to
// took, in order, until took returns true. It returns the last token
// taken. errNoPipe (with id) means the step could not be recorded and
// nothing ran; the caller decodes on without the pipeline.
func (p *pipe) decode(id, steps int, took func(int) bool) (int, error) {
	m, c := p.m, p.c
	binary.LittleEndian.PutUint32(p.buf[p.tok.Offset()*4:], uint32(int32(id)))
	binary.LittleEndian.PutUint32(p.buf[p.pos.Offset()*4:], uint32(int32(c.n)))
	if err := m.dev.CopyFromHost(p.in, 0, p.buf); err != nil {
		return id, err
	}
	var queued []*core.Read
	launched := 0
	for {
		for launched < steps && len(queued) < pipeDepth {
			if at := c.n + len(queued); at >= c.Capacity() {
				if len(queued) > 0 {
					break // grow once the queued steps are read
				}
				if err := m.grow(c, 1); err != nil {
					return id, err
				}
			}
			if err := p.launch(); err != nil {
				return id, err // errNoPipe: nothing is queued, c.n counts every token taken
			}
			r, err := core.ReadLater(p.best)
			if err != nil {
				return id, err
			}
			queued = append(queued, r)
			launched++
			pipeSteps.Add(1)
		}
		if len(queued) == 0 {
			return id, nil
		}
		b, err := queued[0].Wait()
		if err != nil {
			return id, err
		}
		queued = queued[1:]
		c.n++
		id = int(int64(binary.LittleEndian.Uint64(b)))
		if took(id) {
			return id, nil
		}
	}
}

// launch queues one step, recording it first when there is no graph or
// the cache moved since it was recorded.
func (p *pipe) launch() error {
	m, c := p.m, p.c
	if p.g != nil && p.capacity == c.Capacity() {
		return p.g.Replay()
	}
	if p.g != nil {
		// The cache moved: the recorded addresses are stale.
		if err := p.g.Close(); err != nil {
			return err
		}
		p.g = nil
	}
	if err := p.tables(); err != nil {
		return err
	}
	g, err := core.Record(m.dev, func() error {
		x, err := core.GatherOp(p.embed, 0, p.tok)
		if err != nil {
			return err
		}
		var r rotaries
		if r.global, err = p.row(p.tabs.global); err != nil {
			return err
		}
		r.local = r.global
		if m.localInvFreq != nil {
			if r.local, err = p.row(p.tabs.local); err != nil {
				return err
			}
		}
		if err := core.Run(&core.Op{Name: "copy", Inputs: []*core.Array{p.pos}, Out: c.pos}); err != nil {
			return err
		}
		logits, err := m.layersAndHead(x, r, c, true)
		if err != nil {
			return err
		}
		if p.best, err = core.ArgMaxOp(logits, -1, false); err != nil {
			return err
		}
		// The next step's inputs: this token, the next position.
		if err := core.Run(&core.Op{Name: "cast", Inputs: []*core.Array{p.best}, Out: p.tok}); err != nil {
			return err
		}
		return core.Run(&core.Op{Name: "add", Inputs: []*core.Array{c.pos, p.one}, Out: p.pos})
	})
	if errors.Is(err, core.ErrUnsupported) {
		// An op the device runs only by decomposing it, as poolStep
		// falls back on: decode on without the pipeline.
		return fmt.Errorf("%w: %w", errNoPipe, err)
	}
	if err != nil {
		return fmt.Errorf("llama: record the pipelined decode step: %w", err)
	}
	p.g, p.capacity = g, c.Capacity()
	return nil
}

// row gathers the rope row of the step's position from t.
func (p *pipe) row(t rotary) (rotary, error) {
	cos, err := core.GatherOp(t.cos, 0, p.pos)
	if err != nil {
		return rotary{}, err
	}
	sin, err := core.GatherOp(t.sin, 0, p.pos)
	if err != nil {
		return rotary{}, err
	}
	return rotary{cos: cos, sin: sin}, nil
}

// close releases the recorded graph, after the steps still queued.
func (p *pipe) close() error {
	if p == nil || p.g == nil {
		return nil
	}
	return p.g.Close()
}
