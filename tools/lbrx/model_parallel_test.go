package main

import (
	"encoding/json"
	"math"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core/testfiles"
)

// logits --devices cpu,cpu (and 4 CPU ranks, and a Q8_0 GGUF on 2) write
// what one device writes, within 1e-5.
func TestLogitsOnCPURanks(t *testing.T) {
	for _, c := range []struct {
		model   []string
		devices string
	}{
		{[]string{"safetensors", "tiny-llama"}, "cpu,cpu"},
		{[]string{"safetensors", "tiny-llama"}, "cpu, cpu, cpu, cpu"},
		{[]string{"gguf-models", "tiny-llama-q8_0.gguf"}, "cpu,cpu"},
	} {
		model := testfiles.Path(t, c.model...)
		dir := t.TempDir()
		one, many := filepath.Join(dir, "one.npy"), filepath.Join(dir, "many.npy")
		code, _, stderr := runCmd("logits", model, "--ids", tinyIDs, "--npy", one, "--device", "cpu")
		require.Equal(t, 0, code, stderr)
		code, stdout, stderr := runCmd("logits", model, "--ids", tinyIDs, "--npy", many, "--devices", c.devices)
		require.Equal(t, 0, code, stderr)
		assert.Contains(t, stdout, "ranks) (F32 activations)")
		want, got := readLogits(t, one), readLogits(t, many)
		var d float64
		for i := range want {
			d = math.Max(d, math.Abs(float64(got[i]-want[i])))
		}
		assert.LessOrEqual(t, d, 1e-5, "%v on %s", c.model, c.devices)
	}
}

func TestGenerateOnCPURanks(t *testing.T) {
	model := testfiles.Path(t, "safetensors", "tiny-llama")
	args := []string{"generate", model, "--ids", "1,17,42", "--max-tokens", "6", "--ignore-eos", "--json"}
	code, one, stderr := runCmd(append(args, "--device", "cpu")...)
	require.Equal(t, 0, code, stderr)
	code, two, stderr := runCmd(append(args, "--devices", "cpu,cpu")...)
	require.Equal(t, 0, code, stderr)
	var a, b struct {
		IDs   []int `json:"ids"`
		Ranks int   `json:"ranks"`
	}
	require.NoError(t, json.Unmarshal([]byte(one), &a))
	require.NoError(t, json.Unmarshal([]byte(two), &b))
	assert.Len(t, a.IDs, 6)
	assert.Equal(t, a.IDs, b.IDs)
	assert.Equal(t, 2, b.Ranks)
}

func TestDevicesFlagErrors(t *testing.T) {
	model := testfiles.Path(t, "safetensors", "tiny-llama")
	out := filepath.Join(t.TempDir(), "x.npy")
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		// Too few GPUs (here: none) is a runtime error, exit 1. On a
		// machine with 64 GPUs this would pass the check; none has.
		{[]string{"logits", model, "--ids", "1", "--npy", out, "--devices", "cuda:0,cuda:63"}, 1, "needs 2 CUDA GPUs; this machine has"},
		{[]string{"generate", model, "--ids", "1", "--devices", "cuda:0,cuda:63"}, 1, "needs 2 CUDA GPUs"},
		{[]string{"logits", model, "--ids", "1", "--npy", out, "--devices", "cpu,cpu,cpu"}, 1, "4 attention heads do not split over 3 ranks"},
		{[]string{"logits", model, "--ids", "1", "--npy", out, "--devices", "cpu,cuda:0"}, 2, "do not mix"},
		{[]string{"logits", model, "--ids", "1", "--npy", out, "--devices", "gpu0,gpu1"}, 2, `"gpu0" is not cuda:N`},
		{[]string{"logits", model, "--ids", "1", "--npy", out, "--devices", "cuda:0,cuda:0"}, 2, "appears twice"},
		{[]string{"logits", model, "--ids", "1", "--npy", out, "--devices", "cpu,cpu", "--device", "cpu"}, 2, "exclude each other"},
		{[]string{"generate", model, "--prompt", "hi", "--devices", "cpu,cpu"}, 2, "--ids only"},
	} {
		code, _, stderr := runCmd(c.args...)
		assert.Equal(t, c.code, code, "%v: %s", c.args, stderr)
		assert.Contains(t, stderr, c.msg, "%v", c.args)
	}
}
