package llama

import (
	"fmt"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/quant"
)

// The Megatron layout: rank r of n holds
//
//   - H/n query heads and their KV heads (q, k, v rows: column-parallel;
//     with fewer KV heads than ranks each rank holds a copy of the one KV
//     head its query heads share), and o_proj's matching columns
//     (row-parallel: each rank's output is a partial sum);
//   - a slice of the MLP's intermediate dimension: gate and up rows,
//     down columns (row-parallel again);
//   - a slice of the vocabulary: embedding and lm_head rows.
//
// Norms and the rest are replicated. Row slices are views of the source
// tensors (for a mapped file, of the mapping: nothing is read until a
// rank moves its shard to its device). Column slices of quantized weights
// are cut at ggml block / MLX group boundaries and copied; a boundary
// inside a block is an error naming the tensor.

// shardPlan says which part of the model one rank holds.
type shardPlan struct {
	rank, ranks int
	// heads and kvHeads are the rank's first query and KV head and their
	// counts.
	head, heads, kvHead, kvHeads int
	// ffLo, ffHi bound the rank's intermediate (MLP) columns.
	ffLo, ffHi int
	// vocabLo, vocabHi bound its vocabulary rows; vocabPer is the largest
	// shard's rows, to which all-gathered logits are padded.
	vocabLo, vocabHi, vocabPer int
}

// planShards splits cfg over n ranks. tensors (already unfused) decide
// the granularity of the intermediate split: the largest group of a
// quantized down_proj, whose columns are cut.
func planShards(cfg Config, tensors map[string]*core.Array, n int) ([]shardPlan, error) {
	if n < 1 {
		return nil, fmt.Errorf("tensor parallelism over %d ranks", n)
	}
	h, kv := cfg.NumHeads, cfg.NumKVHeads
	if h%n != 0 {
		return nil, fmt.Errorf("tensor parallelism: %d attention heads do not split over %d ranks", h, n)
	}
	if kv < 1 || (kv%n != 0 && n%kv != 0) {
		return nil, fmt.Errorf("tensor parallelism: %d KV heads neither split over %d ranks nor divide them (so that ranks could share copies)", kv, n)
	}
	grain := 1
	for i := range cfg.NumLayers {
		name := fmt.Sprintf("model.layers.%d.mlp.down_proj.weight", i)
		if a, ok := tensors[name]; ok && a.Quant() != nil {
			g := a.Quant().GroupSize
			if g <= 0 || cfg.IntermediateSize%g != 0 {
				return nil, fmt.Errorf("tensor parallelism: tensor %q: intermediate size %d is not a whole number of its %d-column groups", name, cfg.IntermediateSize, g)
			}
			grain = max(grain, g)
		}
	}
	units := cfg.IntermediateSize / grain
	if units < n || cfg.IntermediateSize%grain != 0 {
		return nil, fmt.Errorf("tensor parallelism: intermediate size %d in groups of %d columns (down_proj's quantization) does not split over %d ranks", cfg.IntermediateSize, grain, n)
	}
	vper := (cfg.VocabSize + n - 1) / n
	if vper*(n-1) >= cfg.VocabSize {
		return nil, fmt.Errorf("tensor parallelism: vocabulary of %d does not split over %d ranks", cfg.VocabSize, n)
	}
	plans := make([]shardPlan, n)
	ff := 0
	for r := range plans {
		p := shardPlan{rank: r, ranks: n, heads: h / n, vocabPer: vper}
		p.head = r * p.heads
		if kv%n == 0 {
			p.kvHeads = kv / n
			p.kvHead = r * p.kvHeads
		} else {
			p.kvHeads = 1
			p.kvHead = r / (n / kv)
		}
		// The first units%n ranks take one group more.
		u := units / n
		if r < units%n {
			u++
		}
		p.ffLo, p.ffHi = ff, ff+u*grain
		ff = p.ffHi
		p.vocabLo, p.vocabHi = r*vper, min(cfg.VocabSize, (r+1)*vper)
		plans[r] = p
	}
	return plans, nil
}

// shard returns the rank's Config and tensors: the projections cut as the
// plan says, everything else shared.
func (p shardPlan) shard(cfg Config, tensors map[string]*core.Array) (Config, map[string]*core.Array, error) {
	d := cfg.HeadDim
	out := make(map[string]*core.Array, len(tensors))
	for k, v := range tensors {
		out[k] = v
	}
	type cut struct {
		name   string
		col    bool
		lo, hi int
	}
	var cuts []cut
	rows := func(name string, lo, hi int) {
		cuts = append(cuts, cut{name + ".weight", false, lo, hi}, cut{name + ".bias", false, lo, hi})
	}
	for i := range cfg.NumLayers {
		pre := fmt.Sprintf("model.layers.%d.", i)
		rows(pre+"self_attn.q_proj", p.head*d, (p.head+p.heads)*d)
		rows(pre+"self_attn.k_proj", p.kvHead*d, (p.kvHead+p.kvHeads)*d)
		rows(pre+"self_attn.v_proj", p.kvHead*d, (p.kvHead+p.kvHeads)*d)
		cuts = append(cuts, cut{pre + "self_attn.o_proj.weight", true, p.head * d, (p.head + p.heads) * d})
		rows(pre+"mlp.gate_proj", p.ffLo, p.ffHi)
		rows(pre+"mlp.up_proj", p.ffLo, p.ffHi)
		cuts = append(cuts, cut{pre + "mlp.down_proj.weight", true, p.ffLo, p.ffHi})
	}
	cuts = append(cuts, cut{"model.embed_tokens.weight", false, p.vocabLo, p.vocabHi})
	if !cfg.TieWordEmbeddings {
		rows("lm_head", p.vocabLo, p.vocabHi)
	}
	for _, c := range cuts {
		a, ok := out[c.name]
		if !ok {
			continue // a missing weight is New's error; a missing bias is normal
		}
		var err error
		if c.col {
			out[c.name], err = sliceColumns(c.name, a, c.lo, c.hi)
		} else {
			out[c.name], err = sliceRows(c.name, a, c.lo, c.hi)
		}
		if err != nil {
			return Config{}, nil, err
		}
	}
	sc := cfg
	sc.NumHeads, sc.NumKVHeads = p.heads, p.kvHeads
	sc.IntermediateSize = p.ffHi - p.ffLo
	sc.VocabSize = p.vocabHi - p.vocabLo
	sc.FusedQKV, sc.FusedGateUp = false, false // New sees the unfused parts
	return sc, out, nil
}

// logicalShape is a's shape, or its logical one when quantized.
func logicalShape(a *core.Array) core.Shape {
	if q := a.Quant(); q != nil {
		return q.Shape
	}
	return a.Shape()
}

// sliceRows returns rows [lo, hi) of a (a view, quantized or not).
func sliceRows(name string, a *core.Array, lo, hi int) (*core.Array, error) {
	s := logicalShape(a)
	if len(s) == 0 || hi > s[0] {
		return nil, fmt.Errorf("tensor parallelism: tensor %q has shape %v, the shard needs rows [%d, %d)", name, s, lo, hi)
	}
	var v *core.Array
	var err error
	if a.Quant() != nil {
		v, err = quant.SliceRows(a, lo, hi)
	} else {
		v, err = a.Slice(0, lo, hi, 1)
	}
	if err != nil {
		return nil, fmt.Errorf("tensor parallelism: tensor %q rows [%d, %d): %w", name, lo, hi, err)
	}
	return named(v, name)
}

// sliceColumns returns columns [lo, hi) of the 2-D weight a, copied:
// for a float tensor the values, for a quantized one the packed
// columns and of their scales, biases and zero points, which needs lo and
// hi on block/group boundaries.
func sliceColumns(name string, a *core.Array, lo, hi int) (*core.Array, error) {
	s := logicalShape(a)
	if len(s) != 2 || hi > s[1] {
		return nil, fmt.Errorf("tensor parallelism: tensor %q has shape %v, the shard needs columns [%d, %d)", name, s, lo, hi)
	}
	q := a.Quant()
	if q == nil {
		// Copied: a device would otherwise receive the view's whole span,
		// every row's full width.
		v, err := a.Slice(1, lo, hi, 1)
		if err == nil {
			v, err = v.Contiguous()
		}
		if err != nil {
			return nil, fmt.Errorf("tensor parallelism: tensor %q columns [%d, %d): %w", name, lo, hi, err)
		}
		return named(v, name)
	}
	g := q.GroupSize
	packed := a.Shape()
	if g <= 0 || lo%g != 0 || hi%g != 0 || s[1]%g != 0 || a.Rank() != 2 || packed[1]%(s[1]/g) != 0 {
		return nil, fmt.Errorf("tensor parallelism: tensor %q (%s, blocks of %d columns) cannot be split at columns [%d, %d): the split must fall on block boundaries", name, q.Scheme, g, lo, hi)
	}
	per := packed[1] / (s[1] / g) // packed elements per group of a row
	codes, err := a.Slice(1, lo/g*per, hi/g*per, 1)
	if err == nil {
		codes, err = codes.Contiguous()
	}
	if err != nil {
		return nil, fmt.Errorf("tensor parallelism: tensor %q columns [%d, %d): %w", name, lo, hi, err)
	}
	nq := *q
	nq.Shape = core.Shape{s[0], hi - lo}
	for _, pp := range []**core.Array{&nq.Scales, &nq.Biases, &nq.ZeroPoints} {
		if *pp == nil {
			continue
		}
		v, err := (*pp).Slice((*pp).Rank()-1, lo/g, hi/g, 1)
		if err == nil {
			v, err = v.Contiguous()
		}
		if err != nil {
			return nil, fmt.Errorf("tensor parallelism: tensor %q quantization parameters, columns [%d, %d): %w", name, lo, hi, err)
		}
		*pp = v
	}
	meta := codes.Metadata()
	meta.Name = name
	meta.Quant = &nq
	return codes.WithMetadata(meta)
}

func named(a *core.Array, name string) (*core.Array, error) {
	meta := a.Metadata()
	meta.Name = name
	return a.WithMetadata(meta)
}
