package llama

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/lbrx/lbrx/core"
)

// Sampling chooses the next token from a row of logits.
type Sampling struct {
	// Temperature divides the logits; 0 (or less) picks the most likely
	// token (greedy, ties to the lowest id).
	Temperature float64
	// TopP keeps the smallest set of most likely tokens whose
	// probabilities sum to at least TopP (nucleus sampling); 0 or 1 keeps
	// every token.
	TopP float64
	// Seed seeds the generator, so equal seeds give equal samples.
	Seed uint64
}

// Sampler draws tokens with one Sampling's settings and generator.
type Sampler struct {
	s   Sampling
	rng *rand.Rand
	p   []float64
	idx []int
}

// NewSampler checks s and returns a sampler seeded with s.Seed.
func NewSampler(s Sampling) (*Sampler, error) {
	if math.IsNaN(s.Temperature) || math.IsInf(s.Temperature, 0) {
		return nil, fmt.Errorf("temperature %v is not a finite number", s.Temperature)
	}
	if math.IsNaN(s.TopP) || s.TopP < 0 || s.TopP > 1 {
		return nil, fmt.Errorf("top-p %v is not in [0, 1]", s.TopP)
	}
	// A seeded PCG, not crypto/rand: runs must be reproducible from the seed.
	return &Sampler{s: s, rng: rand.New(rand.NewPCG(s.Seed, s.Seed^0x9e3779b97f4a7c15))}, nil //nolint:gosec // reproducible sampling, not secrets
}

// Next returns the token drawn from logits (one row, any float dtype,
// any device).
func (s *Sampler) Next(logits []float32) (int, error) {
	if len(logits) == 0 {
		return 0, errors.New("sample: no logits")
	}
	best, top := 0, logits[0]
	for i, v := range logits {
		if math.IsNaN(float64(v)) {
			return 0, fmt.Errorf("sample: logit %d is NaN", i)
		}
		if v > top {
			best, top = i, v
		}
	}
	if s.s.Temperature <= 0 {
		return best, nil
	}
	// Softmax of logits/T in float64, the maximum subtracted first.
	mx := float64(top)
	s.p = s.p[:0]
	var sum float64
	for _, v := range logits {
		e := math.Exp((float64(v) - mx) / s.s.Temperature)
		s.p = append(s.p, e)
		sum += e
	}
	s.idx = s.idx[:0]
	for i := range s.p {
		s.p[i] /= sum
		s.idx = append(s.idx, i)
	}
	keep := len(s.idx)
	if s.s.TopP > 0 && s.s.TopP < 1 {
		slices.SortStableFunc(s.idx, func(a, b int) int { return cmp.Compare(s.p[b], s.p[a]) })
		var c float64
		for i, id := range s.idx {
			c += s.p[id]
			if c >= s.s.TopP {
				keep = i + 1
				break
			}
		}
	}
	var mass float64
	for _, id := range s.idx[:keep] {
		mass += s.p[id]
	}
	u := s.rng.Float64() * mass
	for _, id := range s.idx[:keep] {
		if u -= s.p[id]; u < 0 {
			return id, nil
		}
	}
	return s.idx[keep-1], nil // rounding left u at a hair above zero
}

// Stats reports a generation's token counts and times.
type Stats struct {
	PromptTokens, Generated int
	// Prefill is the time to run the prompt and pick the first token;
	// Decode the time for every later token.
	Prefill, Decode time.Duration
}

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
	// CUDA as one CUDA graph with the greedy choice made on the GPU; the
	// tokens are the same either way.
	Eager bool
}

// Generate prefills the prompt ids, then samples up to MaxTokens tokens
// one at a time through a KV cache, calling yield with each; it stops
// early when yield returns false or, unless IgnoreEOS, after an
// end-of-sequence token (which is yielded).
func (m *Model) Generate(ids []int, o GenerateOptions, yield func(id int) bool) (Stats, error) {
	st := Stats{PromptTokens: len(ids)}
	if o.MaxTokens < 0 {
		return st, fmt.Errorf("max tokens %d is negative", o.MaxTokens)
	}
	s, err := NewSampler(o.Sampling)
	if err != nil {
		return st, err
	}
	c := m.NewCache()
	if err := m.Reserve(c, len(ids)+o.MaxTokens); err != nil {
		return st, err
	}
	var step *stepGraph
	defer func() { _ = step.close() }()
	graphs := !o.Eager
	start := time.Now()
	next := ids
	for st.Generated < o.MaxTokens {
		var id int
		var logits *core.Array
		var err error
		// The first decode step runs op by op (it loads any kernel the
		// prompt did not use); the second is recorded, later ones replay.
		if graphs && st.Generated >= 2 {
			if step == nil {
				if step, err = m.newStep(c, s.s.Temperature <= 0); err != nil {
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
		st.Generated++
		if st.Generated == 1 {
			st.Prefill = time.Since(start)
			start = time.Now()
		} else {
			st.Decode = time.Since(start)
		}
		if !yield(id) || (!o.IgnoreEOS && slices.Contains(m.Config.EOS, id)) {
			break
		}
		next = []int{id}
	}
	return st, nil
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
