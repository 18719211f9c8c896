package serve

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/models/llama"
	"github.com/lbrx/lbrx/models/sample"
)

// Finish reasons, as OpenAI names them.
const (
	finishStop   = "stop"   // an end-of-sequence token or a stop string
	finishLength = "length" // max_tokens or the context is used up
)

// errShutdown ends sequences the engine cancels when it stops.
var errShutdown = errors.New("the server shut down before the request finished")

// job is a request as the engine sees it: prompt ids and bounds in,
// tokens out.
type job struct {
	ctx     context.Context
	prompt  []int
	max     int // tokens to generate at most, >= 1
	sampler *sample.Sampler
	// ignoreEOS keeps generating after an end-of-sequence token.
	ignoreEOS bool
	// events receives every generated token, the last with finish or err
	// set; it has room for all of them, so the engine never blocks on a
	// slow client.
	events chan event
	queued time.Time
}

// event is one generated token, or the end of a job.
type event struct {
	id int
	// eos marks an end-of-sequence token: it ends the job and is not text.
	eos    bool
	finish string // set on the last event
	err    error  // set when the job failed or was cancelled
}

func newJob(ctx context.Context, prompt []int, maxTokens int, s *sample.Sampler) *job {
	return &job{ctx: ctx, prompt: prompt, max: maxTokens, sampler: s, events: make(chan event, maxTokens+1), queued: time.Now()}
}

// seq is a job holding a slot: its blocks of the KV pool and the token
// to run next.
type seq struct {
	*job
	kv        *llama.PoolSeq
	next      int
	generated int
	last      time.Time
}

// engine owns the model and runs the batch (see the package doc).
type engine struct {
	m       *llama.Model
	pool    *llama.Pool // the sequences' KV cache, paged
	eos     map[int]bool
	width   int
	ctxLen  int
	budget  int // KV positions for all sequences together
	pad     bool
	queue   chan *job
	quit    chan struct{}
	done    chan struct{}
	metrics *metrics

	// afterWake, when set (tests), runs each time the engine has taken
	// a request from the queue while idle.
	afterWake func()
	// beforeStep, when set (tests), runs before each decode pass.
	beforeStep func()

	// slots belong to the run goroutine, as does pool.
	slots []*seq

	mu       sync.Mutex
	active   int // sequences holding a slot
	peak     int // the most active at once
	stopOnce sync.Once
}

// submit queues j, or says why not.
func (e *engine) submit(j *job) *apiError {
	select {
	case <-e.quit:
		return errClosing
	default:
	}
	select {
	case e.queue <- j:
		e.metrics.queued.Inc()
		return nil
	default:
		return errQueueFull
	}
}

// running returns the number of sequences holding a slot.
func (e *engine) running() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.active
}

// busy reports whether any request is queued or running.
func (e *engine) busy() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.active > 0 || len(e.queue) > 0
}

func (e *engine) setActive(n int) {
	e.mu.Lock()
	e.active = n
	e.peak = max(e.peak, n)
	e.mu.Unlock()
	e.metrics.active.Set(float64(n))
}

// stop makes the engine cancel what is left and return.
func (e *engine) stop() { e.stopOnce.Do(func() { close(e.quit) }) }

// run is the engine's loop; it returns after stop.
func (e *engine) run() {
	defer close(e.done)
	defer func() { _ = e.pool.Close() }()
	e.slots = make([]*seq, e.width)
	slots := e.slots
	var waiting *job // the head of the queue, waiting for room
	count := func() int {
		n := 0
		for _, s := range slots {
			if s != nil {
				n++
			}
		}
		return n
	}
	release := func(i int, ev event) {
		slots[i].events <- ev
		e.free(i)
	}
	for {
		n := count()
		if n == 0 && waiting == nil {
			e.setActive(0)
			select {
			case waiting = <-e.queue:
				e.metrics.queued.Dec()
				if e.afterWake != nil {
					e.afterWake()
				}
			case <-e.quit:
				e.drain(nil)
				return
			}
		}
		select {
		case <-e.quit:
			for i, s := range slots {
				if s != nil {
					release(i, event{err: errShutdown})
				}
			}
			e.drain(waiting)
			e.setActive(0)
			return
		default:
		}
		// Admit waiting jobs while a slot is free and the budget allows;
		// their prompts then run together.
		var joined []int // slots
		for {
			if waiting == nil {
				select {
				case waiting = <-e.queue:
					e.metrics.queued.Dec()
				default:
				}
			}
			if waiting == nil {
				break
			}
			if waiting.ctx.Err() != nil {
				waiting.events <- event{err: waiting.ctx.Err()}
				waiting = nil
				continue
			}
			free := -1
			for i, s := range slots {
				if s == nil {
					free = i
					break
				}
			}
			need := e.pool.Rounded(len(waiting.prompt) + waiting.max)
			if free < 0 || (e.pool.Reserved()+need > e.budget && count() > 0) {
				break
			}
			if s := e.admit(waiting); s != nil {
				slots[free] = s
				joined = append(joined, free)
			}
			waiting = nil
		}
		e.prefill(joined)
		// Sequences whose client went away leave now.
		for i, s := range slots {
			if s != nil && s.ctx.Err() != nil {
				release(i, event{err: s.ctx.Err()})
				e.metrics.cancelled.Inc()
			}
		}
		n = count()
		e.setActive(n)
		if n == 0 {
			continue
		}
		if err := e.step(); err != nil {
			for i, s := range slots {
				if s != nil {
					release(i, event{err: err})
				}
			}
		}
	}
}

// free gives slot i back, and its blocks to the pool.
func (e *engine) free(i int) {
	e.pool.Remove(e.slots[i].kv)
	e.slots[i] = nil
}

// drain fails the job held back and every queued one.
func (e *engine) drain(waiting *job) {
	if waiting != nil {
		waiting.events <- event{err: errShutdown}
	}
	for {
		select {
		case j := <-e.queue:
			e.metrics.queued.Dec()
			j.events <- event{err: errShutdown}
		default:
			return
		}
	}
}

// admit reserves new blocks of the pool for j's prompt and tokens; it
// returns the sequence, or nil when the job failed.
func (e *engine) admit(j *job) *seq {
	// The sequence takes the positions the job reserved at once, so the
	// pool never grows while it decodes.
	kv, err := e.pool.Add(len(j.prompt) + j.max)
	if err != nil {
		j.events <- event{err: fmt.Errorf("KV cache: %w", err)}
		return nil
	}
	return &seq{job: j, kv: kv}
}

// prefill runs the prompts of the sequences just admitted to slots
// together (llama.Pool.PrefillBatch) and emits their first tokens,
// freeing the slots of those that end.
func (e *engine) prefill(slots []int) {
	if len(slots) == 0 {
		return
	}
	kvs := make([]*llama.PoolSeq, len(slots))
	prompts := make([][]int, len(slots))
	for r, i := range slots {
		kvs[r], prompts[r] = e.slots[i].kv, e.slots[i].prompt
	}
	start := time.Now()
	logits, err := e.pool.PrefillBatch(kvs, prompts)
	var rows []float32
	if err == nil {
		rows, err = hostRows(logits)
	}
	if err != nil {
		for _, i := range slots {
			e.slots[i].events <- event{err: fmt.Errorf("prefill: %w", err)}
			e.free(i)
		}
		return
	}
	// Each prompt waited for the whole pass.
	took := time.Since(start).Seconds()
	v := len(rows) / len(slots)
	for r, i := range slots {
		s := e.slots[i]
		e.metrics.prefillSeconds.Observe(took)
		e.metrics.promptTokens.Add(float64(len(s.prompt)))
		s.sampler.Accept(s.prompt...)
		if !e.emit(s, rows[r*v:(r+1)*v]) {
			e.free(i)
		}
	}
}

// step runs one decode pass over every active sequence and emits each
// one's next token.
func (e *engine) step() error {
	if e.beforeStep != nil {
		e.beforeStep()
	}
	slots := e.slots
	var ids []int
	var kvs []*llama.PoolSeq
	var rowOf []int // slot -> row of the pass
	for _, s := range slots {
		switch {
		case s != nil:
			rowOf = append(rowOf, len(ids))
			ids, kvs = append(ids, s.next), append(kvs, s.kv)
		case e.pad:
			rowOf = append(rowOf, len(ids))
			ids, kvs = append(ids, 0), append(kvs, nil)
		default:
			rowOf = append(rowOf, -1)
		}
	}
	start := time.Now()
	logits, err := e.pool.Decode(ids, kvs)
	if err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	greedy := true
	for _, s := range slots {
		greedy = greedy && (s == nil || s.sampler.Greedy())
	}
	if greedy {
		// Every sampler would take its row's argmax: the device takes
		// them, and only one id per row crosses to the host (the same
		// ids: the first of the largest logits, as Sampler.Next).
		best, err := argmaxRows(logits)
		if err != nil {
			return err
		}
		e.metrics.stepSeconds.Observe(time.Since(start).Seconds())
		for i, s := range slots {
			if s != nil && !e.emitID(s, int(best[rowOf[i]])) {
				e.free(i)
			}
		}
		return nil
	}
	rows, err := hostRows(logits)
	if err != nil {
		return err
	}
	e.metrics.stepSeconds.Observe(time.Since(start).Seconds())
	v := len(rows) / len(ids)
	for i, s := range slots {
		if s == nil {
			continue
		}
		r := rowOf[i]
		if !e.emit(s, rows[r*v:(r+1)*v]) {
			e.free(i)
		}
	}
	return nil
}

// argmaxRows returns the argmax of each row of logits [rows, vocab],
// taken on their device.
func argmaxRows(logits *core.Array) ([]int64, error) {
	a, err := core.ArgMaxOp(logits, 1, false)
	if err != nil {
		return nil, fmt.Errorf("argmax of the logits: %w", err)
	}
	t, err := core.As[int64](a)
	if err != nil {
		return nil, err
	}
	return t.Values()
}

// emit samples s's next token from its logits row and sends it; it
// returns false when the sequence ended (the last event sent).
func (e *engine) emit(s *seq, row []float32) bool {
	id, err := s.sampler.Next(row)
	if err != nil {
		s.events <- event{err: err}
		return false
	}
	return e.emitID(s, id)
}

// emitID sends id, s's next token; it returns false when the sequence
// ended (the last event sent).
func (e *engine) emitID(s *seq, id int) bool {
	s.sampler.Accept(id)
	s.generated++
	now := time.Now()
	if s.generated == 1 {
		e.metrics.ttft.Observe(now.Sub(s.queued).Seconds())
	} else {
		e.metrics.interToken.Observe(now.Sub(s.last).Seconds())
	}
	s.last = now
	e.metrics.generated.Inc()
	ev := event{id: id}
	switch {
	case e.eos[id] && !s.ignoreEOS:
		ev.eos, ev.finish = true, finishStop
	case s.generated >= s.max, s.kv.Len()+1 >= e.ctxLen:
		ev.finish = finishLength
	}
	s.next = id
	if ev.finish != "" {
		s.events <- ev
		return false
	}
	s.events <- ev
	return true
}

// hostRows reads logits [rows, vocab] as float32 on the host.
func hostRows(a *core.Array) ([]float32, error) {
	c, err := core.CastOp(a, core.F32)
	if err != nil {
		return nil, err
	}
	t, err := core.As[float32](c)
	if err != nil {
		return nil, err
	}
	return t.Values()
}
