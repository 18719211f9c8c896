package sample_test

import (
	"fmt"

	"github.com/lbrx/lbrx/models/sample"
)

func ExampleSampler() {
	// Top-k 2 leaves tokens 0 and 1; min-p 0.5 then drops token 1
	// (e^-1 = 0.37 times as likely as token 0), so every draw is 0.
	s, err := sample.New(sample.Options{Temperature: 1, TopK: 2, MinP: 0.5, Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	logits := []float32{3, 2, 1}
	var ids []int
	for range 3 {
		id, _ := s.Next(logits)
		ids = append(ids, id)
	}
	fmt.Println(ids)

	// The repetition penalty (2) halves token 0's positive logit once it
	// was seen, and greedy decoding then prefers token 1.
	g, _ := sample.New(sample.Options{RepeatPenalty: 2})
	g.Accept(0)
	id, _ := g.Next([]float32{3, 2, 1})
	fmt.Println(id)
	// Output:
	// [0 0 0]
	// 1
}
