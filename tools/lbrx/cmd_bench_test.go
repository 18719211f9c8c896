package main

import (
	"encoding/json"
	"testing"

	"github.com/lbrx/lbrx/core"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBenchMatMulJSON(t *testing.T) {
	for _, dt := range []string{"f32", "f16", "bf16"} {
		code, stdout, stderr := runLbrx("bench", "matmul", "--m", "33", "--n", "17", "--k", "65", "--dtype", dt, "--threads", "1", "--runs", "2", "--min-time", "0", "--json")
		require.Equal(t, 0, code, stderr)
		var r map[string]any
		require.NoError(t, json.Unmarshal([]byte(stdout), &r), stdout)
		for _, key := range []string{"op", "m", "n", "k", "dtype", "device", "threads", "seconds", "gflops", "gbps"} {
			assert.Contains(t, r, key)
		}
		assert.Equal(t, "matmul", r["op"])
		assert.InDelta(t, 33, r["m"], 0)
		assert.Equal(t, dt, r["dtype"])
		assert.Equal(t, "cpu", r["device"])
		assert.InDelta(t, 1, r["threads"], 0)
		assert.Positive(t, r["gflops"])
		assert.Positive(t, r["gbps"])
	}
}

func TestBenchMatMulText(t *testing.T) {
	code, stdout, stderr := runLbrx("bench", "matmul", "--m", "16", "--n", "16", "--k", "16", "--runs", "1", "--min-time", "0")
	require.Equal(t, 0, code, stderr)
	assert.Regexp(t, `^matmul 16x16x16 f32 on cpu threads=\d+ kernel=\w+: best .* GFLOP/s .* GB/s\n$`, stdout)
}

func TestBenchUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"bench"},
		{"bench", "nosuch"},
		{"bench", "matmul", "--m", "0"},
		{"bench", "matmul", "--dtype", "i8"},
		{"bench", "matmul", "--bogus"},
		{"bench", "matmul", "--runs", "0"},
		{"bench", "matmul", "extra"},
		{"bench", "matmul", "--tf32"}, // the CPU has no TF32 mode
	} {
		code, _, stderr := runLbrx(args...)
		assert.Equal(t, 2, code, "%v: %s", args, stderr)
		assert.Regexp(t, `^lbrx bench( matmul)?: .+\n$`, stderr)
	}
	code, _, stderr := runLbrx("bench", "matmul", "--device", "nosuch", "--m", "4", "--n", "4", "--k", "4")
	assert.Equal(t, 2, code, "an unknown device is a usage error")
	assert.Contains(t, stderr, "nosuch")
}

func TestBenchQMV(t *testing.T) {
	for _, args := range [][]string{
		{"--bits", "4", "--group-size", "64"},
		{"--bits", "8", "--group-size", "32"},
		{"--scheme", "q4_0"},
		{"--scheme", "q8_0"},
	} {
		full := append([]string{"bench", "qmv", "--rows", "64", "--cols", "256", "--runs", "1", "--min-time", "0", "--json"}, args...)
		code, stdout, stderr := runLbrx(full...)
		require.Equal(t, 0, code, "%v: %s", args, stderr)
		var r map[string]any
		require.NoError(t, json.Unmarshal([]byte(stdout), &r), stdout)
		assert.Equal(t, "qmv", r["op"])
		assert.InDelta(t, 64, r["m"], 0)
		assert.InDelta(t, 256, r["k"], 0)
		assert.Positive(t, r["gbps"])
		assert.Positive(t, r["stream_copy_gbps"])
	}
	for _, args := range [][]string{
		{"--bits", "7"},
		{"--group-size", "48"},
		{"--cols", "100"},
		{"--scheme", "q5_k"},
		{"--device", "nosuch"},
		{"--rows", "-1"},
	} {
		code, _, stderr := runLbrx(append([]string{"bench", "qmv"}, args...)...)
		assert.Equal(t, 2, code, "%v: %s", args, stderr)
	}
	if d, err := core.Lookup("cuda"); err == nil && !d.Status().Available {
		code, _, stderr := runLbrx("bench", "qmv", "--device", "cuda")
		assert.Equal(t, 1, code)
		assert.Contains(t, stderr, "unavailable")
	}
}

// bench qmv on a device goes through core.QuantizedMatMulOp (here the
// fake device's counted CPU fallback).
func TestBenchQMVOnADevice(t *testing.T) {
	for _, scheme := range []string{"affine", "q4_0", "q8_0"} {
		before := core.Fallbacks()["fake:0/quantized_matmul"]
		code, stdout, stderr := runLbrx("bench", "qmv", "--device", "fake:0", "--scheme", scheme, "--rows", "32", "--cols", "128", "--runs", "1", "--min-time", "0", "--json")
		require.Equal(t, 0, code, stderr)
		var r map[string]any
		require.NoError(t, json.Unmarshal([]byte(stdout), &r), stdout)
		assert.Equal(t, "fake:0", r["device"])
		assert.Positive(t, r["gbps"])
		assert.Greater(t, core.Fallbacks()["fake:0/quantized_matmul"], before)
	}
}
