package llama

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Generate is Model.Generate over the ranks: prefill, then one token at a
// time through a ParallelCache, each step a forward call on every rank.
// The loop mirrors Model.GenerateCache (sampling on the host from rank
// 0's logits); ctx ends it between and inside steps.
func (p *Parallel) Generate(ctx context.Context, ids []int, o GenerateOptions, yield func(id int) bool) (Stats, error) {
	st := Stats{PromptTokens: len(ids)}
	if o.MaxTokens < 0 {
		return st, fmt.Errorf("max tokens %d is negative", o.MaxTokens)
	}
	if len(ids) == 0 {
		return st, errors.New("llama: no prompt token ids")
	}
	s, err := NewSampler(o.Sampling)
	if err != nil {
		return st, err
	}
	s.Accept(ids...)
	c := p.NewCache()
	start := time.Now()
	next := ids
	st.Stop = StopLength
	for st.Generated < o.MaxTokens {
		logits, err := p.forward(ctx, next, c, true)
		if err != nil {
			return st, err
		}
		row, err := hostF32(logits)
		if err != nil {
			return st, err
		}
		id, err := s.Next(row)
		if err != nil {
			return st, err
		}
		if st.took(s, id, &start, yield, p.Config.EOS, o) {
			break
		}
		next = []int{id}
	}
	return st, nil
}
