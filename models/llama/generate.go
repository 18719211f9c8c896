package llama

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/models/sample"
)

// Sampling chooses the next token from a row of logits (package
// sample's options: temperature, top-k, top-p, min-p, repetition
// penalty, seed).
type Sampling = sample.Options

// Sampler draws tokens with one Sampling's settings and generator.
type Sampler = sample.Sampler

// NewSampler checks s and returns a sampler seeded with s.Seed.
func NewSampler(s Sampling) (*Sampler, error) { return sample.New(s) }

// Stats reports a generation's token counts and times.
type Stats struct {
	PromptTokens, Generated int
	// Prefill is the time to run the prompt and pick the first token;
	// Decode the time for every later token.
	Prefill, Decode time.Duration
	// Stop says why generation ended.
	Stop StopReason
	// Pipelined says the decode steps were queued ahead of the tokens
	// read (pipe.go), not one at a time.
	Pipelined bool
}

// StopReason says why a generation ended.
type StopReason string

// The reasons a generation ends.
const (
	// StopEOS: an end-of-sequence token was generated (and yielded).
	StopEOS StopReason = "eos"
	// StopLength: MaxTokens tokens were generated.
	StopLength StopReason = "length"
	// StopYield: the caller's yield returned false (a stop string, ...).
	StopYield StopReason = "yield"
)

// PrefillRate returns prompt tokens per second.
func (s Stats) PrefillRate() float64 { return rate(s.PromptTokens, s.Prefill) }

// DecodeRate returns generated tokens per second after the first.
func (s Stats) DecodeRate() float64 { return rate(s.Generated-1, s.Decode) }

func rate(n int, d time.Duration) float64 {
	if n <= 0 || d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// GenerateOptions bound a generation.
type GenerateOptions struct {
	Sampling
	// MaxTokens is the most tokens to generate.
	MaxTokens int
	// IgnoreEOS keeps generating after an end-of-sequence token.
	IgnoreEOS bool
	// Eager runs every decode step op by op. By default the step is
	// recorded once (core.Record) and replayed for each later token, on
	// CUDA as one CUDA graph with the greedy choice made on the GPU, and
	// greedy steps there are queued ahead of the tokens read (pipe.go;
	// LBRX_DECODE_PIPELINE=off waits for each token); the tokens are the
	// same either way.
	Eager bool
	// EOS lists further tokens that end generation besides the config's
	// eos_token_id (a chat model's end-of-turn token, from its tokenizer).
	EOS []int
}

// Generate prefills the prompt ids, then samples up to MaxTokens tokens
// one at a time through a KV cache, calling yield with each; it stops
// early when yield returns false or, unless IgnoreEOS, after an
// end-of-sequence token (which is yielded).
func (m *Model) Generate(ids []int, o GenerateOptions, yield func(id int) bool) (Stats, error) {
	return m.GenerateCache(m.NewCache(), ids, o, yield)
}

// GenerateCache is Generate continuing the sequence held in c: ids run at
// positions c.Len() onward, so a conversation prefills only its new
// turn. On return c holds the prompt and every generated token but the
// last (which was sampled, not yet run); the sampler's repetition window
// sees only ids and what is generated.
func (m *Model) GenerateCache(c *Cache, ids []int, o GenerateOptions, yield func(id int) bool) (Stats, error) {
	st := Stats{PromptTokens: len(ids)}
	if o.MaxTokens < 0 {
		return st, fmt.Errorf("max tokens %d is negative", o.MaxTokens)
	}
	if len(ids) == 0 {
		return st, fmt.Errorf("llama: no prompt token ids")
	}
	s, err := NewSampler(o.Sampling)
	if err != nil {
		return st, err
	}
	s.Accept(ids...)
	// Room for the whole generation up front, so the recorded step is not
	// re-recorded as the cache grows; past max_position_embeddings the
	// cache grows on demand instead of allocating what MaxTokens asks.
	need := c.Len() + len(ids) + o.MaxTokens
	if mp := m.Config.MaxPositions; mp > 0 {
		need = min(need, max(mp, c.Len()+len(ids)))
	}
	if err := m.Reserve(c, need); err != nil {
		return st, err
	}
	var step *stepGraph
	defer func() { _ = step.close() }()
	var pp *pipe
	if m.usePipe(o, s) {
		// Before the clock starts: the first call makes the device's
		// embedding table.
		if pp, err = m.newPipe(c, c.Len()+len(ids)+o.MaxTokens); err != nil {
			return st, err
		}
		defer func() { _ = pp.close() }()
	}
	graphs := !o.Eager
	start := time.Now()
	next := ids
	st.Stop = StopLength
	for st.Generated < o.MaxTokens {
		if pp != nil && st.Generated >= 2 {
			// Greedy steps queued ahead of the tokens read (pipe.go).
			id, err := pp.decode(next[0], o.MaxTokens-st.Generated, func(id int) bool {
				return st.took(s, id, &start, yield, m.Config.EOS, o)
			})
			if !errors.Is(err, errNoPipe) {
				st.Pipelined = err == nil
				return st, err
			}
			pp = nil // the device cannot record it: go on without
			next = []int{id}
			continue
		}
		var id int
		var logits *core.Array
		var err error
		// The first decode step runs op by op (it loads any kernel the
		// prompt did not use); the second is recorded, later ones replay.
		if graphs && st.Generated >= 2 {
			if step == nil {
				if step, err = m.newStep(c, deviceGreedy(s.Options())); err != nil {
					return st, err
				}
			}
			n := c.n
			id, logits, err = step.run(next[0])
			switch {
			case err != nil && step.g == nil && c.n == n:
				graphs = false // the device cannot record the step: go on op by op
			case err != nil:
				return st, err
			}
		}
		if !graphs || st.Generated < 2 {
			if logits, err = m.forward(next, c, true); err != nil {
				return st, err
			}
		}
		if logits != nil {
			row, err := hostF32(logits)
			if err != nil {
				return st, err
			}
			if id, err = s.Next(row); err != nil {
				return st, err
			}
		}
		if st.took(s, id, &start, yield, m.Config.EOS, o) {
			break
		}
		next = []int{id}
	}
	return st, nil
}

// took books the token id a generation loop just picked: the sampler's
// history, the count, the prefill and decode times (start is reset after
// the first token), the callback, and whether an end-of-sequence id or
// the callback stops the loop, with s.Stop set to why.
func (s *Stats) took(smp *Sampler, id int, start *time.Time, yield func(int) bool, eos []int, o GenerateOptions) (stop bool) {
	smp.Accept(id)
	s.Generated++
	if s.Generated == 1 {
		s.Prefill = time.Since(*start)
		*start = time.Now()
	} else {
		s.Decode = time.Since(*start)
	}
	if !yield(id) {
		s.Stop = StopYield
		return true
	}
	if !o.IgnoreEOS && (slices.Contains(eos, id) || slices.Contains(o.EOS, id)) {
		s.Stop = StopEOS
		return true
	}
	return false
}

// deviceGreedy reports whether o picks the argmax of the logits as they
// are (greedy, no repetition penalty), which a recorded step computes on
// the device so that only the token id crosses to the host.
func deviceGreedy(o Sampling) bool {
	return o.Temperature <= 0 && (o.RepeatPenalty <= 0 || o.RepeatPenalty == 1)
}

// hostF32 reads an array's values as float32 on the host.
func hostF32(a *core.Array) ([]float32, error) {
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
