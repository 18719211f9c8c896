package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/core/npy"
	"github.com/lbrx/lbrx/core/testfiles"
	"github.com/lbrx/lbrx/models/llama"
	"github.com/lbrx/lbrx/quant"
)

// readNpyF32 reads a float32 .npy file of shape [rows, 256].
func readNpyF32(t *testing.T, path string, rows int) []float32 {
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

// dequantizedLogits runs the model at dir with every quantized weight
// dequantized to float32 first: what the quantized model computes, up to
// rounding, without its quantized kernels.
func dequantizedLogits(t *testing.T, dir string, ids []int) []float32 {
	t.Helper()
	qm, err := quant.LoadModel(dir)
	require.NoError(t, err)
	defer func() { _ = qm.Close() }()
	for name, a := range qm.Tensors {
		if a.Quant() != nil {
			d, err := quant.DequantizeFloat32(a)
			require.NoError(t, err)
			qm.Tensors[name] = d.Array()
		}
	}
	cfg, err := llama.ReadConfig(filepath.Join(dir, "config.json"))
	require.NoError(t, err)
	m, err := llama.New(cfg, qm.Tensors, llama.Options{Device: core.CPU()})
	require.NoError(t, err)
	l, err := m.Forward(ids, nil)
	require.NoError(t, err)
	return f32Values(t, l)
}

// Every architecture of ../shared/testdata/archs through the command
// line: `lbrx logits` on the float32 model matches transformers, and
// `lbrx quantize` to 4 bits gives a model `lbrx logits` runs, computing
// what its dequantized weights compute; its top-1 agreement with the
// float32 model is reported (these tiny random models have close logits,
// so 4 bits flip several).
func TestArchitecturesLogitsAndQuantize(t *testing.T) {
	for _, arch := range []string{"qwen2", "mistral", "qwen3", "phi3", "gemma2", "gemma3"} {
		t.Run(arch, func(t *testing.T) {
			dir := testfiles.Path(t, "archs", arch)
			b, err := os.ReadFile(filepath.Join(dir, "ids.json"))
			require.NoError(t, err)
			var ids []int
			require.NoError(t, json.Unmarshal(b, &ids))
			idArg := make([]string, len(ids))
			for i, id := range ids {
				idArg[i] = strconv.Itoa(id)
			}
			want := readNpyF32(t, filepath.Join(dir, "logits.npy"), len(ids))

			out := filepath.Join(t.TempDir(), "f32.npy")
			code, _, stderr := runCmd("logits", dir, "--ids", strings.Join(idArg, ","), "--npy", out, "--device", "cpu")
			require.Equal(t, 0, code, stderr)
			got := readNpyF32(t, out, len(ids))
			var d float64
			for i := range want {
				d = math.Max(d, math.Abs(float64(got[i]-want[i])))
			}
			assert.LessOrEqual(t, d, 1e-4, "float32 logits")

			for _, group := range []int{64, 32} {
				q := filepath.Join(t.TempDir(), "q4")
				code, _, stderr = runCmd("quantize", dir, q, "--bits", "4", "--group-size", strconv.Itoa(group))
				require.Equal(t, 0, code, stderr)
				out := filepath.Join(t.TempDir(), "q4.npy")
				code, _, stderr = runCmd("logits", q, "--ids", strings.Join(idArg, ","), "--npy", out, "--device", "cpu")
				require.Equal(t, 0, code, stderr)
				ql := readNpyF32(t, out, len(ids))
				dl := dequantizedLogits(t, q, ids)
				var dd float64
				for i := range dl {
					dd = math.Max(dd, math.Abs(float64(ql[i]-dl[i])))
				}
				assert.LessOrEqual(t, dd, 1e-4, "quantized kernels against the dequantized weights, group %d", group)
				w, g := top1(want, 256), top1(ql, 256)
				agree := 0
				for i := range w {
					if w[i] == g[i] {
						agree++
					}
				}
				t.Logf("%s 4-bit group %d (lbrx quantize): top-1 agrees with transformers' float32 on %d of %d positions; max |quantized - dequantized float32| = %.3g", arch, group, agree, len(ids), dd)
				assert.GreaterOrEqual(t, agree, len(ids)/3, "group %d", group)
			}
		})
	}
}
