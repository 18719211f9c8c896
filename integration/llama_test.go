package integration

import (
	"math"
	"path/filepath"
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

var tinyIDs = []int{1, 17, 42, 99, 3, 250, 7, 128}

func logitsF32(t *testing.T, a *core.Array) []float32 {
	t.Helper()
	a, err := core.CastOp(a, core.F32)
	require.NoError(t, err)
	a, err = a.To(core.CPU())
	require.NoError(t, err)
	tt, err := core.As[float32](a)
	require.NoError(t, err)
	v, err := tt.Values()
	require.NoError(t, err)
	return v
}

func argmax(v []float32, vocab int) []int {
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

// TestTinyLlamaOnEveryDevice runs the shared tiny Llama on each available
// device: float32 logits against transformers' (1e-4), one-token decode
// through the cache against the full prompt, bf16 and 4-bit top-1 tokens.
// Ops a device lacks run on the CPU and are reported.
func TestTinyLlamaOnEveryDevice(t *testing.T) {
	ref, err := npy.ReadFile(filepath.Join(testfiles.Path(t, "safetensors", "tiny-llama"), "reference", "logits_f32.npy"))
	require.NoError(t, err)
	want := logitsF32(t, ref)
	for _, dev := range core.Devices() {
		t.Run(dev.Name(), func(t *testing.T) {
			if st := dev.Status(); !st.Available {
				t.Skipf("device %s unavailable: %s", dev.Name(), st.Reason)
			}
			before := core.Fallbacks()
			m, err := llama.Load(testfiles.Path(t, "safetensors", "tiny-llama"), llama.Options{Device: dev})
			require.NoError(t, err)
			defer func() { _ = m.Close() }()
			full, err := m.Forward(tinyIDs, nil)
			require.NoError(t, err)
			assert.Equal(t, dev, full.Device())
			got := logitsF32(t, full)
			var d float64
			for i := range want {
				d = math.Max(d, math.Abs(float64(got[i]-want[i])))
			}
			t.Logf("%s: float32 logits max |lbrx - transformers| = %.3g", dev.Name(), d)
			assert.LessOrEqual(t, d, 1e-4)

			c := m.NewCache()
			_, err = m.Forward(tinyIDs[:5], c)
			require.NoError(t, err)
			for i, id := range tinyIDs[5:] {
				step, err := m.Forward([]int{id}, c)
				require.NoError(t, err)
				row := (5 + i) * 256
				assert.InDeltaSlice(t, got[row:row+256], logitsF32(t, step), 1e-4, "cached step %d", 5+i)
			}

			b, err := llama.Load(testfiles.Path(t, "safetensors", "tiny-llama-bf16"), llama.Options{Device: dev})
			require.NoError(t, err)
			defer func() { _ = b.Close() }()
			bl, err := b.Forward(tinyIDs, nil)
			require.NoError(t, err)
			assert.Equal(t, argmax(want, 256), argmax(logitsF32(t, bl), 256), "bf16 top-1")

			qm, err := quant.LoadModel(testfiles.Path(t, "safetensors", "tiny-llama"))
			require.NoError(t, err)
			defer func() { _ = qm.Close() }()
			for name, a := range qm.Tensors {
				if a.Rank() == 2 && !strings.Contains(name, "norm") && a.Shape()[1]%64 == 0 {
					qm.Tensors[name], err = quant.Quantize(a, 4, 64)
					require.NoError(t, err)
				}
			}
			cfg, err := llama.ReadConfig(filepath.Join(testfiles.Path(t, "safetensors", "tiny-llama"), "config.json"))
			require.NoError(t, err)
			q, err := llama.New(cfg, qm.Tensors, llama.Options{Device: dev})
			require.NoError(t, err)
			ql, err := q.Forward(tinyIDs, nil)
			require.NoError(t, err)
			onCPU, err := llama.New(cfg, qm.Tensors, llama.Options{Device: core.CPU()})
			require.NoError(t, err)
			cl, err := onCPU.Forward(tinyIDs, nil)
			require.NoError(t, err)
			cv, qv := logitsF32(t, cl), logitsF32(t, ql)
			delta := quantModelDelta(dev, len(tinyIDs), cv, want)
			t.Logf("%s: 4-bit logits max |device - CPU| = %.3g (bound %.3g)", dev.Name(), maxDiff(qv, cv), delta)
			assert.InDeltaSlice(t, cv, qv, delta, "4-bit logits on %s vs the CPU", dev.Name())

			after := core.Fallbacks()
			for op, n := range after {
				if n > before[op] && strings.HasPrefix(op, dev.Name()+"/") {
					t.Logf("ran on the CPU instead of %s: %s ×%d", dev.Name(), op, n-before[op])
				}
			}
		})
	}
}
