package main

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/lbrx/lbrx/core/gguf"
)

// modelSummary is inspect's one-line description of a model GGUF: what
// llama.cpp reads from "general.architecture" and the "<arch>.*" keys,
// and how many tensors of each ggml type it holds.
type modelSummary struct {
	Architecture string         `json:"architecture"`
	Layers       int64          `json:"layers,omitempty"`
	Heads        int64          `json:"heads,omitempty"`
	KVHeads      int64          `json:"kv_heads,omitempty"`
	Context      int64          `json:"context,omitempty"`
	Vocabulary   int64          `json:"vocabulary,omitempty"`
	WeightTypes  map[string]int `json:"weight_types"`
}

// summarizeModel returns nil for a GGUF that names no architecture (a
// bare tensor file).
func summarizeModel(f *gguf.File) *modelSummary {
	kv, ok := f.Get("general.architecture")
	arch, isStr := kv.Value.(string)
	if !ok || !isStr {
		return nil
	}
	s := &modelSummary{Architecture: arch, WeightTypes: map[string]int{}}
	num := func(key string) int64 {
		kv, ok := f.Get(arch + "." + key)
		if !ok {
			return 0
		}
		switch v := kv.Value.(type) {
		case uint8:
			return int64(v)
		case uint16:
			return int64(v)
		case uint32:
			return int64(v)
		case uint64:
			return int64(min(v, math.MaxInt64))
		case int8:
			return int64(v)
		case int16:
			return int64(v)
		case int32:
			return int64(v)
		case int64:
			return v
		}
		return 0
	}
	s.Layers, s.Heads, s.KVHeads, s.Context = num("block_count"), num("attention.head_count"), num("attention.head_count_kv"), num("context_length")
	if tk, ok := f.Get("tokenizer.ggml.tokens"); ok {
		if toks, ok := tk.Value.([]string); ok {
			s.Vocabulary = int64(len(toks))
		}
	}
	if s.Vocabulary == 0 {
		s.Vocabulary = num("vocab_size")
	}
	if ti, ok := f.Info("token_embd.weight"); s.Vocabulary == 0 && ok && len(ti.Shape) == 2 {
		s.Vocabulary = int64(ti.Shape[0])
	}
	for _, t := range f.Tensors() {
		s.WeightTypes[t.Type.String()]++
	}
	return s
}

// String is the summary line: "llama, 2 layers, 4 heads (2 KV), context
// 4096, vocabulary 512, weights Q4_K ×14, F32 ×5, Q6_K ×2".
func (s *modelSummary) String() string {
	var b strings.Builder
	b.WriteString(s.Architecture)
	if s.Layers > 0 {
		fmt.Fprintf(&b, ", %d layers", s.Layers)
	}
	if s.Heads > 0 {
		fmt.Fprintf(&b, ", %d heads", s.Heads)
		if s.KVHeads > 0 && s.KVHeads != s.Heads {
			fmt.Fprintf(&b, " (%d KV)", s.KVHeads)
		}
	}
	if s.Context > 0 {
		fmt.Fprintf(&b, ", context %d", s.Context)
	}
	if s.Vocabulary > 0 {
		fmt.Fprintf(&b, ", vocabulary %d", s.Vocabulary)
	}
	types := make([]string, 0, len(s.WeightTypes))
	for t := range s.WeightTypes {
		types = append(types, t)
	}
	slices.SortFunc(types, func(a, b string) int {
		if c := s.WeightTypes[b] - s.WeightTypes[a]; c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	for i, t := range types {
		if i == 0 {
			b.WriteString(", weights ")
		} else {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s ×%d", t, s.WeightTypes[t])
	}
	return b.String()
}
