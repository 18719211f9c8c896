package main

import (
	"encoding/json"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/core/npy"
	"github.com/lbrx/lbrx/core/testfiles"
)

const tinyIDs = "1,17,42,99,3,250,7,128"

func readLogits(t *testing.T, path string) []float32 {
	t.Helper()
	a, err := npy.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, core.Shape{8, 256}, a.Shape())
	tt, err := core.As[float32](a)
	require.NoError(t, err)
	v, err := tt.Values()
	require.NoError(t, err)
	return v
}

func top1(v []float32, vocab int) []int {
	out := make([]int, len(v)/vocab)
	for r := range out {
		for j := range vocab {
			if v[r*vocab+j] > v[r*vocab+out[r]] {
				out[r] = j
			}
		}
	}
	return out
}

func TestLogitsMatchTransformers(t *testing.T) {
	out := filepath.Join(t.TempDir(), "logits.npy")
	code, stdout, stderr := runCmd("logits", testfiles.Path(t, "safetensors", "tiny-llama"), "--ids", tinyIDs, "--npy", out, "--device", "cpu")
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

// `lbrx quantize` to 4 bits, then `lbrx logits` on the result: the
// quantized model's top-1 tokens agree with the float32 model's on most
// positions.
func TestQuantizedModelLogits(t *testing.T) {
	want := top1(readLogits(t, testfiles.Path(t, "safetensors", "tiny-llama", "reference", "logits_f32.npy")), 256)
	// Group 64 (the default) leaves the down projections (K = 160) in
	// float32; group 32 quantizes every linear layer and the embedding.
	for _, c := range []struct{ group, atLeast int }{{64, 6}, {32, 5}} {
		dir := t.TempDir()
		q := filepath.Join(dir, "q4")
		code, _, stderr := runCmd("quantize", testfiles.Path(t, "safetensors", "tiny-llama"), q, "--bits", "4", "--group-size", strconv.Itoa(c.group))
		require.Equal(t, 0, code, stderr)
		out := filepath.Join(dir, "q4.npy")
		code, _, stderr = runCmd("logits", q, "--ids", tinyIDs, "--npy", out)
		require.Equal(t, 0, code, stderr)
		got := top1(readLogits(t, out), 256)
		agree := 0
		for i := range want {
			if got[i] == want[i] {
				agree++
			}
		}
		t.Logf("4-bit group %d tiny-llama: top-1 agrees with float32 on %d of 8 positions", c.group, agree)
		assert.GreaterOrEqual(t, agree, c.atLeast, "group %d", c.group)
	}
}

// A bf16 checkpoint quantized as mlx-lm would (bf16 scales and biases)
// runs with bf16 activations.
func TestQuantizedBF16ModelLogits(t *testing.T) {
	q := filepath.Join(t.TempDir(), "q8")
	code, _, stderr := runCmd("quantize", testfiles.Path(t, "safetensors", "tiny-llama-bf16"), q, "--bits", "8", "--group-size", "32")
	require.Equal(t, 0, code, stderr)
	out := filepath.Join(t.TempDir(), "q8.npy")
	code, stdout, stderr := runCmd("logits", q, "--ids", tinyIDs, "--npy", out)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "BF16 activations")
	got := top1(readLogits(t, out), 256)
	want := top1(readLogits(t, testfiles.Path(t, "safetensors", "tiny-llama", "reference", "logits_f32.npy")), 256)
	agree := 0
	for i := range want {
		if got[i] == want[i] {
			agree++
		}
	}
	t.Logf("8-bit group 32 of the bf16 tiny-llama: top-1 agrees with float32 on %d of 8 positions", agree)
	assert.GreaterOrEqual(t, agree, 6)
}

func TestGenerateCommand(t *testing.T) {
	model := testfiles.Path(t, "safetensors", "tiny-llama")
	code, stdout, stderr := runCmd("generate", model, "--ids", "1,17,42", "--max-tokens", "5", "--ignore-eos")
	require.Equal(t, 0, code, stderr)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	require.GreaterOrEqual(t, len(lines), 2, stdout)
	require.True(t, strings.HasPrefix(lines[0], "ids: "), stdout)
	assert.Len(t, strings.Split(strings.TrimPrefix(lines[0], "ids: "), ","), 5)
	assert.Contains(t, lines[1], "prefill: 3 tokens")
	assert.Contains(t, lines[1], "decode: 4 tokens")

	// Sampling with a seed reproduces; JSON has the ids and speeds.
	args := []string{"generate", "--ids", "1,17,42", model, "--max-tokens", "8", "--temperature", "0.9", "--top-p", "0.95", "--seed", "11", "--ignore-eos", "--json"}
	code, a, stderr := runCmd(args...)
	require.Equal(t, 0, code, stderr)
	_, b, _ := runCmd(args...)
	type result struct {
		IDs    []int   `json:"ids"`
		Decode float64 `json:"decode_tokens_per_s"`
	}
	var ra, rb result
	require.NoError(t, json.Unmarshal([]byte(a), &ra))
	require.NoError(t, json.Unmarshal([]byte(b), &rb))
	assert.Len(t, ra.IDs, 8)
	assert.Equal(t, ra.IDs, rb.IDs, "same seed, same tokens")
	assert.Positive(t, ra.Decode)
}

func TestModelCommandErrors(t *testing.T) {
	model := testfiles.Path(t, "safetensors", "tiny-llama")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"logits", model, "--npy", "x.npy"}, 2, "--ids is required"},
		{[]string{"logits", model, "--ids", "1,2"}, 2, "--npy is required"},
		{[]string{"logits", "--ids", "1", "--npy", "x.npy"}, 2, "need MODEL, got 0 arguments"},
		{[]string{"logits", model, "--ids", "1,x", "--npy", "x.npy"}, 2, `"x" is not a non-negative token id`},
		{[]string{"logits", model, "--ids", "1", "--npy", "x.npy", "--dtype", "i8"}, 2, "--dtype"},
		{[]string{"logits", model, "--ids", "1", "--npy", "x.npy", "--device", "nosuch"}, 2, "nosuch"},
		{[]string{"generate", model, "--ids", "1", "--top-p", "2"}, 2, "top-p"},
		{[]string{"generate", model, "--ids", "1", "--max-tokens", "0"}, 2, "--max-tokens"},
		{[]string{"generate", model, "--ids", "1", "--bogus"}, 2, "bogus"},
		{[]string{"generate", filepath.Join(t.TempDir(), "none"), "--ids", "1"}, 1, "lbrx: "},
		{[]string{"generate", model, "--ids", "1,999"}, 1, "outside the vocabulary"},
	} {
		code, _, stderr := runCmd(c.args...)
		assert.Equal(t, c.code, code, "%v: %s", c.args, stderr)
		assert.Contains(t, stderr, c.want, c.args)
	}
}
