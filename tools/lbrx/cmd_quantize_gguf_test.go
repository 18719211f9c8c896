package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
		{[]string{"quantize", hf, filepath.Join(t.TempDir(), "o.gguf"), "--type", "q3_k_m"}, 2, `--type "q3_k_m"`},
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
