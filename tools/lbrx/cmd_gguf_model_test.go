package main

import (
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core/testfiles"
)

// tiny-llama-f32.gguf is safetensors/tiny-llama converted by llama.cpp's
// converter: `lbrx logits` on it gives transformers' logits.
func TestLogitsOfGGUFMatchTransformers(t *testing.T) {
	out := filepath.Join(t.TempDir(), "logits.npy")
	code, stdout, stderr := runCmd("logits", testfiles.Path(t, "gguf-models", "tiny-llama-f32.gguf"), "--ids", tinyIDs, "--npy", out, "--device", "cpu")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "float32 logits [8 256] from cpu")
	got := readLogits(t, out)
	want := readLogits(t, testfiles.Path(t, "safetensors", "tiny-llama", "reference", "logits_f32.npy"))
	var d float64
	for i := range want {
		d = math.Max(d, math.Abs(float64(got[i]-want[i])))
	}
	assert.LessOrEqual(t, d, 1e-4)
}

func TestGenerateGGUF(t *testing.T) {
	code, stdout, stderr := runCmd("generate", testfiles.Path(t, "gguf-models", "tiny-llama-q8_0.gguf"), "--ids", "1,17,42", "--max-tokens", "4", "--ignore-eos", "--device", "cpu")
	require.Equal(t, 0, code, stderr)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	require.True(t, strings.HasPrefix(lines[0], "ids: "), stdout)
	assert.Len(t, strings.Split(strings.TrimPrefix(lines[0], "ids: "), ","), 4)
}

func TestInspectGGUFModelSummary(t *testing.T) {
	path := testfiles.Path(t, "gguf-models", "small-llama", "small-llama-q4_k_m.gguf")
	code, out, errs := runCmd("inspect", path)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "\nmodel:   llama, 2 layers, 4 heads (2 KV), context 4096, vocabulary 512, weights Q4_K ×13, F32 ×5, Q6_K ×3\n")

	code, out, errs = runCmd("inspect", "--json", path)
	require.Equal(t, 0, code, errs)
	var info modelInfo
	require.NoError(t, json.Unmarshal([]byte(out), &info))
	require.NotNil(t, info.Model)
	assert.Equal(t, modelSummary{Architecture: "llama", Layers: 2, Heads: 4, KVHeads: 2, Context: 4096, Vocabulary: 512,
		WeightTypes: map[string]int{"Q4_K": 13, "F32": 5, "Q6_K": 3}}, *info.Model)

	// A tensor file without general.architecture has no model line.
	code, out, errs = runCmd("inspect", testfiles.Path(t, "gguf", "llamacpp-example", "dummy.gguf"))
	require.Equal(t, 0, code, errs)
	assert.NotContains(t, out, "model:")
}
