package main

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/core/safetensors"
	"github.com/lbrx/lbrx/core/testfiles"
	"github.com/lbrx/lbrx/quant"
)

// copyTinyLlama copies the shared tiny Llama into a temp dir.
func copyTinyLlama(t *testing.T) string {
	t.Helper()
	from := filepath.Join(testfiles.Dir(t), "safetensors", "tiny-llama")
	to := filepath.Join(t.TempDir(), "tiny-llama")
	require.NoError(t, os.Mkdir(to, 0o755))
	ents, err := os.ReadDir(from)
	require.NoError(t, err)
	for _, e := range ents {
		if e.Type().IsRegular() {
			require.NoError(t, copyFile(filepath.Join(from, e.Name()), filepath.Join(to, e.Name())))
		}
	}
	return to
}

func f32Values(t *testing.T, a *core.Array) []float32 {
	t.Helper()
	c, err := core.As[float32](a)
	require.NoError(t, err)
	v, err := c.Values()
	require.NoError(t, err)
	return v
}

func TestQuantizeTinyLlama(t *testing.T) {
	src := copyTinyLlama(t)
	for _, tc := range []struct{ bits, group int }{{4, 32}, {8, 64}, {3, 32}} {
		dst := filepath.Join(t.TempDir(), "out")
		code, _, stderr := runLbrx("quantize", src, dst, "--bits", itoa(tc.bits), "--group-size", itoa(tc.group))
		require.Equal(t, 0, code, stderr)
		assert.Contains(t, stderr, "quantize")

		cfg, err := quant.ReadConfig(filepath.Join(dst, "config.json"))
		require.NoError(t, err)
		q := cfg["quantization"].(map[string]any)
		assert.Equal(t, itoa(tc.bits), q["bits"].(interface{ String() string }).String())
		assert.Equal(t, itoa(tc.group), q["group_size"].(interface{ String() string }).String())
		assert.Equal(t, "llama", cfg["model_type"])
		assert.FileExists(t, filepath.Join(dst, "generation_config.json"))

		orig, err := safetensors.Open(src)
		require.NoError(t, err)
		raw, err := safetensors.Open(dst)
		require.NoError(t, err)
		assert.Equal(t, "mlx", raw.Metadata()["format"])
		m, err := quant.LoadModel(dst)
		require.NoError(t, err)
		require.Len(t, m.Tensors, len(orig.Names()))
		nq := 0
		for _, n := range orig.Names() {
			info, _ := orig.Info(n)
			got := m.Tensors[n]
			require.NotNil(t, got, n)
			want, err := orig.Array(n)
			require.NoError(t, err)
			if got.Quant() == nil {
				// Copied byte for byte.
				assert.False(t, strings.HasSuffix(n, ".weight") && len(info.Shape) == 2 && !strings.Contains(n, "norm") && info.Shape[1]%tc.group == 0, "%s should be quantized", n)
				wb, err := orig.Bytes(n)
				require.NoError(t, err)
				gb, err := raw.Bytes(n)
				require.NoError(t, err)
				require.Equal(t, wb, gb, n)
				continue
			}
			nq++
			require.NotContains(t, n, "norm")
			qi := got.Quant()
			require.Equal(t, tc.bits, qi.Bits)
			require.Equal(t, info.Shape, qi.Shape)
			deq, err := quant.Dequantize(got)
			require.NoError(t, err)
			dv, wv := f32Values(t, deq), f32Values(t, want)
			scales := f32Values(t, qi.Scales)
			for i := range wv {
				step := math.Abs(float64(scales[i/tc.group]))
				require.LessOrEqualf(t, math.Abs(float64(wv[i]-dv[i])), step*(1+1e-5)+1e-7, "%s[%d]: %g vs %g, step %g", n, i, wv[i], dv[i], step)
			}
		}
		// 2 layers x 7 projections, plus embed_tokens and lm_head; down_proj
		// (in = intermediate 160) only where the group size divides 160.
		want := 16
		if 160%tc.group != 0 {
			want = 14
		}
		assert.Equal(t, want, nq)
		require.NoError(t, m.Close())
		require.NoError(t, raw.Close())
		require.NoError(t, orig.Close())
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestQuantizeRefusesBadArguments(t *testing.T) {
	src := copyTinyLlama(t)
	dst := filepath.Join(t.TempDir(), "out")
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{src, dst, "--bits", "7", "--group-size", "64"}, "bits 7 is not supported"},
		{[]string{src, dst, "--bits", "4", "--group-size", "48"}, "group size 48 is not supported"},
		{[]string{src}, "need SRC DST"},
		{[]string{src, dst, "--frobnicate", "1"}, "frobnicate"},
	} {
		code, _, stderr := runLbrx(append([]string{"quantize"}, tc.args...)...)
		assert.Equal(t, 2, code, tc.args)
		assert.Contains(t, stderr, tc.msg)
		assert.Equal(t, 1, strings.Count(stderr, "\n"), "one-line message: %q", stderr)
		assert.NoDirExists(t, dst)
	}
	// A missing SRC or SRC as DST is a runtime error (exit 1), as in every
	// command.
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{filepath.Join(src, "missing"), dst}, "missing: no such file or directory"},
		{[]string{src, src}, "is SRC"},
	} {
		code, _, stderr := runLbrx(append([]string{"quantize"}, tc.args...)...)
		assert.Equal(t, 1, code, tc.args)
		assert.Contains(t, stderr, tc.msg)
		assert.NoDirExists(t, dst)
	}
}

func TestQuantizeLeavesNothingOnFailure(t *testing.T) {
	// dtypes.safetensors holds F8 tensors lbrx cannot load: the command
	// fails after it has started writing, and must clean up.
	src := filepath.Join(testfiles.Dir(t), "safetensors", "dtypes.safetensors")
	parent := t.TempDir()
	dst := filepath.Join(parent, "out")
	code, _, stderr := runLbrx("quantize", src, dst, "--bits", "4", "--group-size", "32")
	require.Equal(t, 1, code)
	assert.Contains(t, stderr, "F8")
	ents, err := os.ReadDir(parent)
	require.NoError(t, err)
	assert.Empty(t, ents, "no DST and no temporary directory left behind")
}

func TestQuantizeSingleFile(t *testing.T) {
	src := filepath.Join(copyTinyLlama(t), "model.safetensors")
	dst := filepath.Join(t.TempDir(), "out")
	code, _, stderr := runLbrx("quantize", "--bits=8", "--group-size=64", src, dst)
	require.Equal(t, 0, code, stderr)
	// The model directory's config.json sits beside the file and is used.
	cfg, err := quant.ReadConfig(filepath.Join(dst, "config.json"))
	require.NoError(t, err)
	assert.Equal(t, "llama", cfg["model_type"])
	m, err := quant.LoadModel(dst)
	require.NoError(t, err)
	defer func() { require.NoError(t, m.Close()) }()
	q := m.Tensors["model.layers.0.self_attn.q_proj.weight"]
	require.NotNil(t, q.Quant())
	assert.Equal(t, 8, q.Quant().Bits)

	// A lone file without a config gets one holding just the quantization.
	lone := filepath.Join(t.TempDir(), "lone.safetensors")
	require.NoError(t, copyFile(src, lone))
	dst2 := filepath.Join(t.TempDir(), "out2")
	code, _, stderr = runLbrx("quantize", lone, dst2, "--bits", "2", "--group-size", "32")
	require.Equal(t, 0, code, stderr)
	cfg, err = quant.ReadConfig(filepath.Join(dst2, "config.json"))
	require.NoError(t, err)
	assert.Len(t, cfg, 2) // quantization and quantization_config
	m2, err := quant.LoadModel(dst2)
	require.NoError(t, err)
	require.NoError(t, m2.Close())
}
