package llama

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/core/gguf"
	"github.com/lbrx/lbrx/core/testfiles"
)

// cpuRanks returns the communicators of n CPU ranks in one process.
func cpuRanks(t *testing.T, n int) []core.Communicator {
	t.Helper()
	devs := make([]core.Device, n)
	for i := range devs {
		devs[i] = core.CPU()
	}
	g, err := core.NewLocalGroup(devs...)
	require.NoError(t, err)
	comms := make([]core.Communicator, n)
	for i := range comms {
		comms[i], err = g.Rank(i)
		require.NoError(t, err)
	}
	return comms
}

func loadParallel(t *testing.T, path string, ranks int) *Parallel {
	t.Helper()
	p, err := LoadParallel(path, cpuRanks(t, ranks), Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// checkParallel compares p's logits for ids with want, for the whole
// prompt and for a prefill of 3 followed by single tokens through the
// cache.
func checkParallel(t *testing.T, p *Parallel, ids []int, want []float32, tol float64) {
	t.Helper()
	ctx := context.Background()
	v := p.Config.VocabSize
	got, err := p.Forward(ctx, ids, nil)
	require.NoError(t, err)
	require.Equal(t, core.Shape{len(ids), v}, got.Shape())
	d := maxAbsDiff(f32Values(t, got), want)
	t.Logf("%d ranks: max |tensor-parallel - one rank| = %.3g", p.Ranks(), d)
	assert.LessOrEqual(t, d, tol, "%d ranks, whole prompt", p.Ranks())
	c := p.NewCache()
	for pos := 0; pos < len(ids); {
		n := 1
		if pos == 0 {
			n = min(3, len(ids))
		}
		step, err := p.Forward(ctx, ids[pos:pos+n], c)
		require.NoError(t, err)
		d := maxAbsDiff(f32Values(t, step), want[pos*v:(pos+n)*v])
		assert.LessOrEqual(t, d, tol, "%d ranks, cached positions [%d, %d)", p.Ranks(), pos, pos+n)
		pos += n
	}
	assert.Equal(t, len(ids), c.Len())
}

// The tiny Llama and every test architecture (GQA with 2 KV heads: with 4
// ranks each KV head is copied to two ranks; fused QKV and gate/up for
// phi3; sandwich norms, soft caps, sliding windows for gemma) give the
// one-rank logits on 2 and 4 CPU ranks within 1e-5.
func TestParallelMatchesOneRank(t *testing.T) {
	for _, name := range append([]string{"tiny-llama"}, testArchs...) {
		t.Run(name, func(t *testing.T) {
			var dir string
			if name == "tiny-llama" {
				dir = testfiles.Path(t, "safetensors", "tiny-llama")
			} else {
				dir = testfiles.Path(t, "archs", name)
			}
			ids := refIDs
			if name != "tiny-llama" {
				_, ids, _ = archReference(t, name)
			}
			m := load(t, dir, Options{})
			one, err := m.Forward(ids, nil)
			require.NoError(t, err)
			want := f32Values(t, one)
			for _, n := range []int{1, 2, 4} {
				checkParallel(t, loadParallel(t, dir, n), ids, want, 1e-5)
			}
		})
	}
}

// Quantized weights: ggml Q4_0 and Q8_0 blocks straight from GGUF files.
// Row shards are views of the mapping; o_proj's and down_proj's column
// shards fall on 32-value block boundaries with 2 ranks (down_proj's 160
// columns split 96 + 64); with 4 ranks o_proj's 16 columns per rank would
// cut blocks, which is refused naming the tensor.
func TestParallelQuantizedGGUF(t *testing.T) {
	for _, file := range []string{"tiny-llama-q4_0.gguf", "tiny-llama-q8_0.gguf"} {
		t.Run(file, func(t *testing.T) {
			path := testfiles.Path(t, "gguf-models", file)
			m := load(t, path, Options{})
			one, err := m.Forward(refIDs, nil)
			require.NoError(t, err)
			checkParallel(t, loadParallel(t, path, 2), refIDs, f32Values(t, one), 1e-5)

			f, err := gguf.Open(path)
			require.NoError(t, err)
			defer f.Close()
			cfg, tensors, err := FromGGUF(f)
			require.NoError(t, err)
			p, err := NewParallel(cfg, tensors, cpuRanks(t, 2), Options{})
			require.NoError(t, err)
			src := tensors["model.layers.0.self_attn.q_proj.weight"]
			require.NotNil(t, src.Quant())
			for r := range 2 {
				q := p.ranks[r].layers[0].q.w
				assert.Same(t, src.Storage(), q.Storage(), "rank %d's q_proj shares the mapping", r)
				assert.Equal(t, core.Shape{32, 64}, q.Quant().Shape)
			}
			assert.Equal(t, []int{96, 64}, []int{p.ranks[0].Config.IntermediateSize, p.ranks[1].Config.IntermediateSize})

			_, err = NewParallel(cfg, tensors, cpuRanks(t, 4), Options{})
			require.ErrorContains(t, err, `tensor "model.layers.0.self_attn.o_proj.weight"`)
			require.ErrorContains(t, err, "block boundaries")
		})
	}
}

// MLX affine weights (group 32) split like ggml blocks; their scales and
// biases follow the columns.
func TestParallelQuantizedAffine(t *testing.T) {
	cfg, tensors := quantizedTinyLlama(t, 4, 32)
	m, err := New(cfg, tensors, Options{Device: core.CPU()})
	require.NoError(t, err)
	one, err := m.Forward(refIDs, nil)
	require.NoError(t, err)
	p, err := NewParallel(cfg, tensors, cpuRanks(t, 2), Options{})
	require.NoError(t, err)
	require.NotNil(t, p.ranks[1].layers[0].down.w.Quant())
	checkParallel(t, p, refIDs, f32Values(t, one), 1e-5)
}

func TestParallelRejectsBadSplits(t *testing.T) {
	dir := testfiles.Path(t, "safetensors", "tiny-llama")
	cfg, tensors, closer, err := openTensors(dir)
	require.NoError(t, err)
	defer func() { _ = closer() }()
	_, err = NewParallel(cfg, tensors, cpuRanks(t, 3), Options{})
	require.ErrorContains(t, err, "4 attention heads do not split over 3 ranks")
	c8 := cfg
	c8.NumHeads, c8.NumKVHeads = 8, 3
	_, err = planShards(c8, tensors, 2)
	require.ErrorContains(t, err, "3 KV heads neither split over 2 ranks")
	_, err = NewParallel(cfg, tensors, nil, Options{})
	require.ErrorContains(t, err, "no ranks")
	comms := cpuRanks(t, 2)
	_, err = NewParallel(cfg, tensors, []core.Communicator{comms[1], comms[0]}, Options{})
	require.ErrorContains(t, err, "communicator 0 is not rank 0 of 2")
	p, err := NewParallel(cfg, tensors, cpuRanks(t, 2), Options{})
	require.NoError(t, err)
	_, err = p.Forward(context.Background(), []int{256}, nil)
	require.ErrorContains(t, err, "outside the vocabulary [0, 256)")
}

// Greedy generation over 2 ranks picks the tokens one rank picks.
func TestParallelGenerateMatchesOneRank(t *testing.T) {
	dir := testfiles.Path(t, "safetensors", "tiny-llama")
	m := load(t, dir, Options{})
	o := GenerateOptions{MaxTokens: 12, IgnoreEOS: true}
	var want, got []int
	_, err := m.Generate(refIDs, o, func(id int) bool { want = append(want, id); return true })
	require.NoError(t, err)
	p := loadParallel(t, dir, 2)
	st, err := p.Generate(context.Background(), refIDs, o, func(id int) bool { got = append(got, id); return true })
	require.NoError(t, err)
	assert.Equal(t, want, got)
	assert.Equal(t, 12, st.Generated)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = p.Generate(ctx, refIDs, o, func(int) bool { return true })
	require.ErrorIs(t, err, context.Canceled)
}

// randomFloatModel is a small float32 model with random weights: vocab 11
// (uneven over 2 ranks: 6 + 5, the logits padded and cut), one KV head
// (copied to both ranks), biases on every projection (row-parallel ones
// added by rank 0 only).
func randomFloatModel(t *testing.T) (Config, map[string]*core.Array) {
	t.Helper()
	cfg, err := ParseConfig([]byte(`{"hidden_size": 8, "num_hidden_layers": 2, "num_attention_heads": 2,
		"num_key_value_heads": 1, "intermediate_size": 12, "vocab_size": 11, "attention_bias": true, "mlp_bias": true}`))
	require.NoError(t, err)
	r := rand.New(rand.NewPCG(3, 4))
	tensors := map[string]*core.Array{}
	add := func(name string, shape ...int) {
		n := 1
		for _, d := range shape {
			n *= d
		}
		v := make([]float32, n)
		for i := range v {
			v[i] = r.Float32() - 0.5
		}
		a, err := core.FromSlice(v, shape...)
		require.NoError(t, err)
		tensors[name] = a.Array()
	}
	h, d := 8, cfg.HeadDim
	add("model.embed_tokens.weight", 11, h)
	add("lm_head.weight", 11, h)
	add("model.norm.weight", h)
	for i := range 2 {
		p := fmt.Sprintf("model.layers.%d.", i)
		add(p+"input_layernorm.weight", h)
		add(p+"post_attention_layernorm.weight", h)
		for _, x := range []struct {
			name    string
			out, in int
		}{{"self_attn.q_proj", 2 * d, h}, {"self_attn.k_proj", d, h}, {"self_attn.v_proj", d, h}, {"self_attn.o_proj", h, 2 * d},
			{"mlp.gate_proj", 12, h}, {"mlp.up_proj", 12, h}, {"mlp.down_proj", h, 12}} {
			add(p+x.name+".weight", x.out, x.in)
			add(p+x.name+".bias", x.out)
		}
	}
	return cfg, tensors
}

func TestParallelUnevenVocabAndBiases(t *testing.T) {
	cfg, tensors := randomFloatModel(t)
	m, err := New(cfg, tensors, Options{Device: core.CPU()})
	require.NoError(t, err)
	ids := []int{0, 10, 5, 6, 3}
	one, err := m.Forward(ids, nil)
	require.NoError(t, err)
	p, err := NewParallel(cfg, tensors, cpuRanks(t, 2), Options{})
	require.NoError(t, err)
	assert.Equal(t, []int{6, 5}, []int{p.ranks[0].Config.VocabSize, p.ranks[1].Config.VocabSize})
	assert.NotNil(t, p.ranks[0].layers[0].o.b)
	assert.Nil(t, p.ranks[1].layers[0].o.b)
	checkParallel(t, p, ids, f32Values(t, one), 1e-5)
}

// bf16 activations: the partial sums are rounded before the all-reduce,
// so the logits differ from one rank's by bf16 rounding; the top-1 tokens
// agree.
func TestParallelBF16(t *testing.T) {
	dir := testfiles.Path(t, "safetensors", "tiny-llama")
	m := load(t, dir, Options{DType: core.BF16})
	one, err := m.Forward(refIDs, nil)
	require.NoError(t, err)
	p, err := LoadParallel(dir, cpuRanks(t, 2), Options{DType: core.BF16})
	require.NoError(t, err)
	defer func() { _ = p.Close() }()
	got, err := p.Forward(context.Background(), refIDs, nil)
	require.NoError(t, err)
	require.Equal(t, core.BF16, got.DType())
	want, have := argmaxRows(f32Values(t, one), 256), argmaxRows(f32Values(t, got), 256)
	agree := 0
	for i := range want {
		if want[i] == have[i] {
			agree++
		}
	}
	t.Logf("bf16, 2 ranks: top-1 agrees with one rank on %d of %d positions; max |Δ| %.3g", agree, len(want), maxAbsDiff(f32Values(t, got), f32Values(t, one)))
	assert.GreaterOrEqual(t, agree, len(want)-1)
}
