package llama

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/core/npy"
	"github.com/lbrx/lbrx/core/testfiles"
	"github.com/lbrx/lbrx/quant"
)

// The prompt transformers' reference logits were computed for.
var refIDs = []int{1, 17, 42, 99, 3, 250, 7, 128}

func load(t *testing.T, dir string, opts Options) *Model {
	t.Helper()
	if opts.Device == nil {
		opts.Device = core.CPU()
	}
	m, err := Load(dir, opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = m.Close() })
	return m
}

func f32Values(t *testing.T, a *core.Array) []float32 {
	t.Helper()
	v, err := hostF32(a)
	require.NoError(t, err)
	return v
}

func reference(t *testing.T) []float32 {
	t.Helper()
	ref, err := npy.ReadFile(testfiles.Path(t, "safetensors", "tiny-llama", "reference", "logits_f32.npy"))
	require.NoError(t, err)
	require.Equal(t, core.Shape{8, 256}, ref.Shape())
	return f32Values(t, ref)
}

func argmaxRows(v []float32, n int) []int {
	out := make([]int, len(v)/n)
	for r := range out {
		best := 0
		for j := 1; j < n; j++ {
			if v[r*n+j] > v[r*n+best] {
				best = j
			}
		}
		out[r] = best
	}
	return out
}

func maxAbsDiff(a, b []float32) float64 {
	var d float64
	for i := range a {
		d = math.Max(d, math.Abs(float64(a[i])-float64(b[i])))
	}
	return d
}

func TestTinyLlamaMatchesTransformers(t *testing.T) {
	m := load(t, testfiles.Path(t, "safetensors", "tiny-llama"), Options{})
	logits, err := m.Forward(refIDs, nil)
	require.NoError(t, err)
	require.Equal(t, core.Shape{8, 256}, logits.Shape())
	got, want := f32Values(t, logits), reference(t)
	d := maxAbsDiff(got, want)
	t.Logf("float32 logits: max |lbrx - transformers| = %.3g", d)
	assert.LessOrEqual(t, d, 1e-4)
}

func TestTinyLlamaBF16TopTokensAgree(t *testing.T) {
	m := load(t, testfiles.Path(t, "safetensors", "tiny-llama-bf16"), Options{})
	require.Equal(t, core.BF16, m.DType())
	logits, err := m.Forward(refIDs, nil)
	require.NoError(t, err)
	got := f32Values(t, logits)
	want := reference(t)
	t.Logf("bfloat16 logits: max |lbrx - transformers f32| = %.3g", maxAbsDiff(got, want))
	assert.Equal(t, argmaxRows(want, 256), argmaxRows(got, 256))
}

func TestCachedDecodeEqualsFullPrompt(t *testing.T) {
	m := load(t, testfiles.Path(t, "safetensors", "tiny-llama"), Options{})
	full, err := m.Forward(refIDs, nil)
	require.NoError(t, err)
	want := f32Values(t, full)
	// Prefill three tokens, then one at a time.
	c := m.NewCache()
	var got []float32
	first, err := m.Forward(refIDs[:3], c)
	require.NoError(t, err)
	got = append(got, f32Values(t, first)...)
	for _, id := range refIDs[3:] {
		step, err := m.Forward([]int{id}, c)
		require.NoError(t, err)
		got = append(got, f32Values(t, step)...)
	}
	require.Equal(t, len(refIDs), c.Len())
	for i := range want {
		require.InDelta(t, want[i], got[i], 1e-5*math.Max(1, math.Abs(float64(want[i]))), "logit %d", i)
	}
	c.Reset()
	require.Zero(t, c.Len())
}

func TestActivationDTypeOverride(t *testing.T) {
	// The bf16 checkpoint computed in float32 (weights cast once) is
	// closer to the float32 reference than bf16 activations are.
	m := load(t, testfiles.Path(t, "safetensors", "tiny-llama-bf16"), Options{DType: core.F32})
	require.Equal(t, core.F32, m.DType())
	logits, err := m.Forward(refIDs, nil)
	require.NoError(t, err)
	got, want := f32Values(t, logits), reference(t)
	assert.Equal(t, argmaxRows(want, 256), argmaxRows(got, 256))
	assert.Less(t, maxAbsDiff(got, want), 0.1)
}

func TestForwardErrors(t *testing.T) {
	m := load(t, testfiles.Path(t, "safetensors", "tiny-llama"), Options{})
	_, err := m.Forward([]int{1, 256}, nil)
	require.ErrorContains(t, err, "token id 256 (position 1) is outside the vocabulary [0, 256)")
	_, err = m.Forward(nil, nil)
	require.ErrorContains(t, err, "no token ids")
	_, err = m.Forward([]int{-1}, nil)
	require.ErrorContains(t, err, "outside the vocabulary")
}

// float16 weights: the f32 checkpoint cast in memory runs with f16
// activations and keeps the reference's top-1 tokens.
func TestFloat16Weights(t *testing.T) {
	dir := testfiles.Path(t, "safetensors", "tiny-llama")
	cfg, err := ReadConfig(dir + "/config.json")
	require.NoError(t, err)
	qm, err := quant.LoadModel(dir)
	require.NoError(t, err)
	defer func() { _ = qm.Close() }()
	half := map[string]*core.Array{}
	for name, a := range qm.Tensors {
		half[name], err = core.CastOp(a, core.F16)
		require.NoError(t, err)
	}
	m, err := New(cfg, half, Options{Device: core.CPU()})
	require.NoError(t, err)
	require.Equal(t, core.F16, m.DType())
	logits, err := m.Forward(refIDs, nil)
	require.NoError(t, err)
	got, want := f32Values(t, logits), reference(t)
	t.Logf("float16 logits: max |lbrx - transformers f32| = %.3g", maxAbsDiff(got, want))
	assert.Equal(t, argmaxRows(want, 256), argmaxRows(got, 256))
}

// On the CPU, weights in the activation dtype are the file's own memory:
// New neither copies nor converts them.
func TestWeightsAreNotCopied(t *testing.T) {
	dir := testfiles.Path(t, "safetensors", "tiny-llama")
	cfg, err := ReadConfig(dir + "/config.json")
	require.NoError(t, err)
	qm, err := quant.LoadModel(dir)
	require.NoError(t, err)
	defer func() { _ = qm.Close() }()
	m, err := New(cfg, qm.Tensors, Options{Device: core.CPU()})
	require.NoError(t, err)
	assert.Same(t, qm.Tensors["model.layers.1.mlp.down_proj.weight"].Storage(), m.layers[1].down.w.Storage())
	assert.Same(t, qm.Tensors["model.embed_tokens.weight"].Storage(), m.embed.Storage())
	assert.Same(t, qm.Tensors["lm_head.weight"].Storage(), m.lmHead.w.Storage())
}

// A call that fails (here: an id outside the vocabulary) leaves the cache
// as it was, so decoding can go on.
func TestFailedForwardKeepsTheCache(t *testing.T) {
	m := load(t, testfiles.Path(t, "safetensors", "tiny-llama"), Options{})
	full, err := m.Forward(refIDs[:4], nil)
	require.NoError(t, err)
	c := m.NewCache()
	_, err = m.Forward(refIDs[:3], c)
	require.NoError(t, err)
	_, err = m.Forward([]int{999}, c)
	require.Error(t, err)
	require.Equal(t, 3, c.Len())
	step, err := m.Forward(refIDs[3:4], c)
	require.NoError(t, err)
	assert.InDeltaSlice(t, f32Values(t, full)[3*256:], f32Values(t, step), 1e-5)
}
