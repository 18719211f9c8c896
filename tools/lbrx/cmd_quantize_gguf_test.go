package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/core/npy"
	"github.com/lbrx/lbrx/core/testfiles"
)

// For this model llama-quantize's Q8_0 mix puts every 2-D weight in
// Q8_0, so the whole file lbrx writes must be llama.cpp's, byte for byte:
// header, metadata, tensor order, offsets, blocks.
func TestQuantizeGGUFQ8_0IsLlamaCppFile(t *testing.T) {
	dir := testfiles.Path(t, "gguf-models", "small-llama")
	out := filepath.Join(t.TempDir(), "q8.gguf")
	code, _, stderr := runCmd("quantize", filepath.Join(dir, "hf"), out, "--type", "q8_0",
		"--vocab", filepath.Join(dir, "small-llama-f16.gguf"), "--name", "lbrx-test-llama")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "Q8_0 weights")
	got, err := os.ReadFile(out)
	require.NoError(t, err)
	want, err := os.ReadFile(filepath.Join(dir, "small-llama-q8_0.gguf"))
	require.NoError(t, err)
	require.Len(t, got, len(want))
	assert.True(t, bytes.Equal(want, got), "lbrx's Q8_0 file differs from llama-quantize's")

	// And lbrx runs it.
	code, stdout, stderr := runCmd("logits", out, "--ids", "1,300,17", "--npy", filepath.Join(t.TempDir(), "l.npy"), "--device", "cpu")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "[3 512]")
}

func TestQuantizeGGUFErrors(t *testing.T) {
	hf := testfiles.Path(t, "gguf-models", "small-llama", "hf")
	exists := filepath.Join(t.TempDir(), "exists.gguf")
	require.NoError(t, os.WriteFile(exists, nil, 0o600))
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"quantize", hf, filepath.Join(t.TempDir(), "o.gguf")}, 2, `--type ""`},
		{[]string{"quantize", hf, filepath.Join(t.TempDir(), "o.gguf"), "--type", "q2_k_s"}, 2, `--type "q2_k_s"`},
		{[]string{"quantize", hf, filepath.Join(t.TempDir(), "o.bin"), "--type", "q4_0"}, 2, "must end in .gguf"},
		{[]string{"quantize", hf, exists, "--type", "q4_0"}, 1, "already exists"},
		{[]string{"quantize", filepath.Join(t.TempDir(), "none"), filepath.Join(t.TempDir(), "o.gguf"), "--type", "q4_0"}, 1, "no such file or directory"},
		{[]string{"quantize", hf, filepath.Join(t.TempDir(), "o.gguf"), "--type", "q4_0", "--vocab", hf + "/config.json"}, 1, "not a GGUF file"},
	} {
		code, _, stderr := runCmd(tc.args...)
		assert.Equal(t, tc.code, code, "%v: %s", tc.args, stderr)
		assert.Contains(t, stderr, tc.want, "%v", tc.args)
	}
}

// Other architectures go to GGUF too: Gemma 3 (stored 1 + w norms, q/k
// norms, sliding layers, tied output) at Q8_0 keeps transformers' top-1
// tokens.
func TestQuantizeGGUFGemma3(t *testing.T) {
	dir := testfiles.Path(t, "archs", "gemma3")
	out := filepath.Join(t.TempDir(), "g3.gguf")
	code, _, stderr := runCmd("quantize", dir, out, "--type", "q8_0")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "no vocabulary")
	code, stdout, stderr := runCmd("inspect", out)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "model:   gemma3, 2 layers, 4 heads (2 KV), context 256, vocabulary 256, weights Q8_0 ×15, F32 ×13\n")
	ids := "1,17,42,99,3,250,7,128,33,33,200,5"
	npyOut := filepath.Join(t.TempDir(), "l.npy")
	code, _, stderr = runCmd("logits", out, "--ids", ids, "--npy", npyOut, "--device", "cpu")
	require.Equal(t, 0, code, stderr)
	got := readLogitsN(t, npyOut, 12)
	want := readLogitsN(t, filepath.Join(dir, "logits.npy"), 12)
	agree := 0
	for i, w := range top1(want, 256) {
		if top1(got, 256)[i] == w {
			agree++
		}
	}
	t.Logf("gemma3 Q8_0 GGUF: top-1 agrees with transformers on %d of 12 positions", agree)
	assert.GreaterOrEqual(t, agree, 11)
}

func readLogitsN(t *testing.T, path string, rows int) []float32 {
	t.Helper()
	a, err := npy.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, core.Shape{rows, 256}, a.Shape())
	tt, err := core.As[float32](a)
	require.NoError(t, err)
	v, err := tt.Values()
	require.NoError(t, err)
	return v
}

// --type q4_k_m writes llama-quantize's Q4_K_M mix: for small-llama, the
// shared file llama-quantize wrote, byte for byte.
func TestQuantizeGGUFMix(t *testing.T) {
	dir := testfiles.Path(t, "gguf-models", "small-llama")
	out := filepath.Join(t.TempDir(), "m.gguf")
	code, _, stderr := runCmd("quantize", filepath.Join(dir, "hf"), out, "--type", "q4_k_m",
		"--vocab", filepath.Join(dir, "small-llama-f16.gguf"), "--name", "lbrx-test-llama")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "Q4_K_M mix")
	got, err := os.ReadFile(out)
	require.NoError(t, err)
	want, err := os.ReadFile(filepath.Join(dir, "small-llama-q4_k_m.gguf"))
	require.NoError(t, err)
	assert.True(t, bytes.Equal(want, got), "lbrx's Q4_K_M file differs from llama-quantize's")
}
