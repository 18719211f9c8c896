package sample

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Options are a sampler's settings. The zero value samples greedily.
type Options struct {
	// Temperature divides the logits; 0 (or less) picks the most likely
	// token (greedy, ties to the lowest id).
	Temperature float64
	// TopK keeps the TopK most likely tokens (and any tied with the last
	// of them, as transformers does); 0 keeps every token.
	TopK int
	// TopP keeps the smallest set of most likely tokens whose
	// probabilities sum to at least TopP (nucleus sampling); 0 or 1 keeps
	// every token.
	TopP float64
	// MinP drops tokens less likely than MinP times the most likely one;
	// 0 keeps every token.
	MinP float64
	// RepeatPenalty (the CTRL paper's, as transformers and llama.cpp apply
	// it) divides the positive logits and multiplies the negative ones of
	// every token seen in the last RepeatLastN accepted tokens, once per
	// token however often it was seen; 0 or 1 is off.
	RepeatPenalty float64
	// RepeatLastN is the penalty's window; 0 is every accepted token.
	RepeatLastN int
	// Seed seeds the generator.
	Seed uint64
}

// Sampler draws tokens with one Options' settings and generator. It is
// not safe for concurrent use.
type Sampler struct {
	o    Options
	rng  *rand.Rand
	hist []int
	// Work buffers reused across calls.
	x    []float64
	idx  []int
	mark []uint32
	gen  uint32
}

// New checks o and returns a sampler seeded with o.Seed.
func New(o Options) (*Sampler, error) {
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch {
	case !finite(o.Temperature):
		return nil, fmt.Errorf("temperature %v is not a finite number", o.Temperature)
	case o.TopK < 0:
		return nil, fmt.Errorf("top-k %d is negative", o.TopK)
	case math.IsNaN(o.TopP) || o.TopP < 0 || o.TopP > 1:
		return nil, fmt.Errorf("top-p %v is not in [0, 1]", o.TopP)
	case math.IsNaN(o.MinP) || o.MinP < 0 || o.MinP > 1:
		return nil, fmt.Errorf("min-p %v is not in [0, 1]", o.MinP)
	case !finite(o.RepeatPenalty) || o.RepeatPenalty < 0:
		return nil, fmt.Errorf("repeat penalty %v is not a finite non-negative number", o.RepeatPenalty)
	case o.RepeatLastN < 0:
		return nil, fmt.Errorf("repeat window %d is negative", o.RepeatLastN)
	}
	// A seeded PCG, not crypto/rand: runs must be reproducible from the seed.
	return &Sampler{o: o, rng: rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15))}, nil //nolint:gosec // reproducible sampling, not secrets
}

// Options returns the sampler's settings.
func (s *Sampler) Options() Options { return s.o }

// Accept records tokens of the sequence (the prompt's and each one
// generated) for the repetition penalty.
func (s *Sampler) Accept(ids ...int) {
	if !s.penalizes() {
		return
	}
	s.hist = append(s.hist, ids...)
	if n := s.o.RepeatLastN; n > 0 && len(s.hist) > 2*n {
		// Keep the window, trimming now and then rather than every call.
		s.hist = append(s.hist[:0], s.hist[len(s.hist)-n:]...)
	}
}

// Reset forgets the accepted tokens.
func (s *Sampler) Reset() { s.hist = s.hist[:0] }

func (s *Sampler) penalizes() bool { return s.o.RepeatPenalty > 0 && s.o.RepeatPenalty != 1 }

// Greedy reports whether Next now returns the argmax of its row as it
// is: no temperature and no penalty to apply (the first of the largest
// logits; a NaN logit is an error). A caller may then take the argmax
// elsewhere (lbrx serve's engine: on the device, one id per row crossing
// to the host).
func (s *Sampler) Greedy() bool {
	return s.o.Temperature <= 0 && (!s.penalizes() || len(s.hist) == 0)
}

// Next returns the token drawn from one row of logits.
func (s *Sampler) Next(logits []float32) (int, error) {
	if len(logits) == 0 {
		return 0, errors.New("sample: no logits")
	}
	if s.Greedy() {
		// Greedy without a penalty: the argmax of the row as it is.
		best, top := 0, logits[0]
		for i, v := range logits {
			if v != v { // NaN
				return 0, fmt.Errorf("sample: logit %d is NaN", i)
			}
			if v > top {
				best, top = i, v
			}
		}
		return best, nil
	}
	x := s.x[:0]
	for i, v := range logits {
		if math.IsNaN(float64(v)) {
			return 0, fmt.Errorf("sample: logit %d is NaN", i)
		}
		x = append(x, float64(v))
	}
	s.x = x
	if err := s.penalize(x); err != nil {
		return 0, err
	}
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	if s.o.Temperature <= 0 || math.IsInf(x[best], 0) {
		return best, nil
	}
	idx := s.idx[:0]
	for i, v := range x {
		if !math.IsInf(v, -1) {
			idx = append(idx, i)
		}
	}
	if k := s.o.TopK; k > 0 && k < len(idx) {
		// Keep every logit >= the k-th largest, as transformers does.
		kth := kthLargest(x, idx, k)
		n := 0
		for _, i := range idx {
			if x[i] >= kth {
				idx[n] = i
				n++
			}
		}
		idx = idx[:n]
	}
	// From here x holds each candidate's probability at temperature T
	// (over the candidates left), computed in float64 from the maximum.
	softmax(x, idx, x[best], s.o.Temperature)
	if tp := s.o.TopP; tp > 0 && tp < 1 {
		// Tokens less likely than (1-tp)/n together hold less than 1-tp,
		// so the nucleus never reaches them: sort only the others (the
		// same set, far fewer to sort on a peaked distribution).
		floor := (1 - tp) / float64(len(idx))
		n := 0
		for _, i := range idx {
			if x[i] >= floor {
				idx[n] = i
				n++
			}
		}
		idx = idx[:n]
		slices.SortFunc(idx, func(a, b int) int {
			if c := cmp.Compare(x[b], x[a]); c != 0 {
				return c
			}
			return cmp.Compare(a, b)
		})
		var c float64
		for j, i := range idx {
			if c += x[i]; c >= tp {
				idx = idx[:j+1]
				break
			}
		}
	}
	if mp := s.o.MinP; mp > 0 {
		// best is still a candidate: every cut keeps the most likely token.
		floor := mp * x[best]
		n := 0
		for _, i := range idx {
			if x[i] >= floor {
				idx[n] = i
				n++
			}
		}
		idx = idx[:n]
	}
	s.idx = idx
	var mass float64
	for _, i := range idx {
		mass += x[i]
	}
	u := s.rng.Float64() * mass
	for _, i := range idx {
		if u -= x[i]; u < 0 {
			return i, nil
		}
	}
	return idx[len(idx)-1], nil // rounding left u a hair above zero
}

// penalize applies the repetition penalty to x for the tokens in the
// window, once per distinct token.
func (s *Sampler) penalize(x []float64) error {
	if !s.penalizes() || len(s.hist) == 0 {
		return nil
	}
	if len(s.mark) < len(x) {
		s.mark = make([]uint32, len(x))
		s.gen = 0
	}
	s.gen++
	if s.gen == 0 { // wrapped: start the marks afresh
		clear(s.mark)
		s.gen = 1
	}
	w := s.hist
	if n := s.o.RepeatLastN; n > 0 && len(w) > n {
		w = w[len(w)-n:]
	}
	pen := s.o.RepeatPenalty
	for _, id := range w {
		if id < 0 || id >= len(x) {
			return fmt.Errorf("sample: accepted token %d is outside the %d logits", id, len(x))
		}
		if s.mark[id] == s.gen {
			continue
		}
		s.mark[id] = s.gen
		if x[id] > 0 {
			x[id] /= pen
		} else {
			x[id] *= pen
		}
	}
	return nil
}

// softmax replaces x[i] for i in idx by exp((x[i]-mx)/t) normalized over
// idx.
func softmax(x []float64, idx []int, mx, t float64) {
	var sum float64
	for _, i := range idx {
		x[i] = math.Exp((x[i] - mx) / t)
		sum += x[i]
	}
	for _, i := range idx {
		x[i] /= sum
	}
}

// kthLargest returns the k-th largest of x[idx] (1 <= k <= len(idx))
// through a min-heap of k values: O(n log k), and k is small in practice.
func kthLargest(x []float64, idx []int, k int) float64 {
	h := make([]float64, 0, k)
	for _, i := range idx {
		v := x[i]
		switch {
		case len(h) < k:
			h = append(h, v)
			for c := len(h) - 1; c > 0; {
				p := (c - 1) / 2
				if h[p] <= h[c] {
					break
				}
				h[p], h[c] = h[c], h[p]
				c = p
			}
		case v > h[0]:
			h[0] = v
			for p := 0; ; {
				l, m := 2*p+1, p
				if l < k && h[l] < h[m] {
					m = l
				}
				if l+1 < k && h[l+1] < h[m] {
					m = l + 1
				}
				if m == p {
					break
				}
				h[p], h[m] = h[m], h[p]
				p = m
			}
		}
	}
	return h[0]
}
