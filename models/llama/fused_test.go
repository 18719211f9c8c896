package llama

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/core/testfiles"
)

// The fused path (stacked q/k/v and gate/up weights, add_rms_norm,
// rope_cache; by default on CUDA, forced here on the CPU too) gives the
// logits of the unfused op-by-op path: the prompt through Forward, then
// decode steps through the recorded step, for float, 8-bit and 4-bit
// weights, in float32 and (on GPUs) float16 activations. The recorded
// step runs the fused ops, and fewer of them.
func TestFusedEqualsUnfused(t *testing.T) {
	defer func(f func(core.Device) bool) { stackOn = f }(stackOn)
	stackOn = func(core.Device) bool { return true }
	for _, dev := range availableDevices() {
		dts := []core.DType{core.F32}
		if dev != core.CPU() {
			dts = append(dts, core.F16)
		}
		for _, bits := range []int{0, 8, 4} {
			for _, dt := range dts {
				t.Run(fmt.Sprintf("%s/bits%d/%v", dev.Name(), bits, dt), func(t *testing.T) {
					testFusedEqualsUnfused(t, dev, bits, dt)
				})
			}
		}
	}
}

func testFusedEqualsUnfused(t *testing.T, dev core.Device, bits int, dt core.DType) {
	before := core.Fallbacks()
	tensors, _ := randomWeights(stepConfig, bits, 32)
	fused, err := New(stepConfig, tensors, Options{Device: dev, DType: dt})
	require.NoError(t, err)
	plain, err := New(stepConfig, tensors, Options{Device: dev, DType: dt, Unfused: true})
	require.NoError(t, err)
	require.True(t, fused.fused)
	require.NotNil(t, fused.layers[0].qkv.w, "q/k/v stacked")
	require.NotNil(t, fused.layers[0].gateUp.w, "gate/up stacked")
	require.False(t, plain.fused)
	require.Nil(t, plain.layers[0].qkv.w)

	// f16 activations round differently along the two paths (other
	// kernels, other reduction orders): compare against the logits' size.
	tol := 2e-5
	if dt == core.F16 {
		tol = 2e-2
	}
	s := fusedMatchesPlain(t, fused, plain, []int{7, 50, 96, 0, 33, 8}, tol)
	require.NotNil(t, s.g)
	ops := map[string]int{}
	for _, op := range s.g.Ops() {
		ops[op.Name]++
	}
	layers := stepConfig.NumLayers
	assert.Equal(t, layers, ops["rope_cache"], "one rope_cache a layer")
	assert.Equal(t, 2*layers, ops["add_rms_norm"], "two add_rms_norm a layer (the first layer's in-norm and the final norm have no add, the last layer's MLP add goes to the final norm)")
	if bits == 0 {
		assert.Equal(t, layers, ops["silu_mul_matmul"], "one gated down projection a layer")
		assert.Zero(t, ops["silu_mul"], "no separate silu_mul left")
	} else {
		assert.Equal(t, layers, ops["silu_mul"], "quantized down projections keep silu_mul apart")
	}
	assert.Zero(t, ops["rope"]+ops["write_rows"]+ops["add"], "no unfused rope, cache write or residual add left")
	if dev.Kind() == "cuda" || dev.Kind() == "metal" {
		assert.Equal(t, before, core.Fallbacks(), "no op fell back to the CPU")
	}
}

// A GGUF Llama's q and k rows come in ggml's rope order; stacked for the
// fused path they are put back in Hugging Face's order (hfRowOrder), so
// the layer runs rope_cache like a safetensors model. Its logits equal
// the unfused path's (which reorders the projections' outputs instead)
// for the prompt and for recorded decode steps, in f32 and quantized
// (Q8_0, Q4_0) files.
func TestFusedGGUFEqualsUnfused(t *testing.T) {
	defer func(f func(core.Device) bool) { stackOn = f }(stackOn)
	stackOn = func(core.Device) bool { return true }
	for _, dev := range availableDevices() {
		for _, file := range []string{"tiny-llama-f32.gguf", "tiny-llama-q8_0.gguf", "tiny-llama-q4_0.gguf"} {
			t.Run(dev.Name()+"/"+file, func(t *testing.T) {
				before := core.Fallbacks()
				path := testfiles.Path(t, "gguf-models", file)
				fused := load(t, path, Options{Device: dev})
				plain := load(t, path, Options{Device: dev, Unfused: true})
				require.True(t, fused.Config.GGMLRopeOrder)
				require.NotNil(t, fused.layers[0].qkv.w, "q/k/v stacked")
				require.False(t, fused.layers[0].ggmlOrder, "stacked in Hugging Face's order")
				require.True(t, plain.layers[0].ggmlOrder)
				require.True(t, fused.ropeCache(&fused.layers[0]))
				fusedMatchesPlain(t, fused, plain, []int{7, 50, 96, 0}, 2e-5)
				if dev.Kind() == "cuda" || dev.Kind() == "metal" {
					assert.Equal(t, before, core.Fallbacks(), "no op fell back to the CPU")
				}
			})
		}
	}
}

// fusedMatchesPlain runs a prompt through both models' Forward, then the
// ids one by one through fused's recorded step and plain's Forward,
// checking the logits agree within tol of their largest magnitude (at
// least 1). It returns the step, closed when the test ends.
func fusedMatchesPlain(t *testing.T, fused, plain *Model, ids []int, tol float64) *stepGraph {
	t.Helper()
	check := func(want, got *core.Array, what string) {
		w, g := f32Values(t, want), f32Values(t, got)
		require.Len(t, g, len(w))
		scale := 0.0
		for _, v := range w {
			scale = math.Max(scale, math.Abs(float64(v)))
		}
		assert.LessOrEqual(t, maxAbsDiff(w, g), tol*math.Max(scale, 1), what)
	}
	prompt := []int{3, 14, 15, 92, 65}
	fc, pc := fused.NewCache(), plain.NewCache()
	require.NoError(t, fused.Reserve(fc, 16))
	got, err := fused.Forward(prompt, fc)
	require.NoError(t, err)
	want, err := plain.Forward(prompt, pc)
	require.NoError(t, err)
	check(want, got, "prompt")
	s, err := fused.newStep(fc, false)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.close()) })
	for i, id := range ids {
		_, got, err := s.run(id)
		require.NoError(t, err)
		want, err := plain.Forward([]int{id}, pc)
		require.NoError(t, err)
		check(want, got, fmt.Sprintf("step %d", i))
	}
	return s
}
