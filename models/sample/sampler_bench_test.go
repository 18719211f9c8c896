package sample

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkNext samples from a 128,256-token row (Llama 3's vocabulary)
// of normally distributed logits scaled as a trained model's are.
func BenchmarkNext(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	logits := make([]float32, 128256)
	for i := range logits {
		logits[i] = float32(r.NormFloat64() * 3)
	}
	for _, c := range []struct {
		name string
		o    Options
	}{
		{"greedy", Options{}},
		{"temperature", Options{Temperature: 0.8}},
		{"top-p", Options{Temperature: 0.8, TopP: 0.95}},
		{"top-k+top-p+min-p", Options{Temperature: 0.8, TopK: 40, TopP: 0.95, MinP: 0.05}},
		{"repeat-penalty", Options{Temperature: 0.8, RepeatPenalty: 1.1, RepeatLastN: 64}},
	} {
		b.Run(c.name, func(b *testing.B) {
			s, err := New(c.o)
			if err != nil {
				b.Fatal(err)
			}
			for i := range 64 {
				s.Accept(i * 7)
			}
			for b.Loop() {
				if _, err := s.Next(logits); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
