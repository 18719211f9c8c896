package integration

import (
	"encoding/json"
	"math"
	"os"
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

// TestArchitecturesOnEveryDevice runs each tiny model of
// ../shared/testdata/archs (transformers 5.17, float32, eager attention;
// prompts longer than the sliding windows) on each available device:
// float32 logits against transformers' (1e-4), one-token-at-a-time decode
// through the cache against the full prompt, bf16 top-1 agreement, a
// 4-bit copy against the same copy on the CPU; no op may fall back to
// the CPU.
func TestArchitecturesOnEveryDevice(t *testing.T) {
	for _, dev := range core.Devices() {
		t.Run(dev.Name(), func(t *testing.T) {
			if st := dev.Status(); !st.Available {
				t.Skipf("device %s unavailable: %s", dev.Name(), st.Reason)
			}
			for _, arch := range []string{"qwen2", "mistral", "qwen3", "phi3", "gemma2", "gemma3"} {
				t.Run(arch, func(t *testing.T) { runArchitecture(t, dev, arch) })
			}
		})
	}
}

func runArchitecture(t *testing.T, dev core.Device, arch string) {
	dir := testfiles.Path(t, "archs", arch)
	b, err := os.ReadFile(filepath.Join(dir, "ids.json"))
	require.NoError(t, err)
	var ids []int
	require.NoError(t, json.Unmarshal(b, &ids))
	ref, err := npy.ReadFile(filepath.Join(dir, "logits.npy"))
	require.NoError(t, err)
	want := logitsF32(t, ref)
	before := core.Fallbacks()

	m, err := llama.Load(dir, llama.Options{Device: dev})
	require.NoError(t, err)
	defer func() { _ = m.Close() }()
	full, err := m.Forward(ids, nil)
	require.NoError(t, err)
	assert.Equal(t, dev, full.Device())
	got := logitsF32(t, full)
	t.Logf("%s on %s: float32 logits max |lbrx - transformers| = %.3g", arch, dev.Name(), maxDiff(got, want))
	assert.LessOrEqual(t, maxDiff(got, want), 1e-4)

	c := m.NewCache()
	var steps float64
	for i, id := range ids {
		step, err := m.Forward([]int{id}, c)
		require.NoError(t, err)
		steps = math.Max(steps, maxDiff(got[i*256:(i+1)*256], logitsF32(t, step)))
	}
	t.Logf("%s on %s: one-token decode max |step - full prompt| = %.3g", arch, dev.Name(), steps)
	assert.LessOrEqual(t, steps, 1e-5)

	bm, err := llama.Load(dir, llama.Options{Device: dev, DType: core.BF16})
	require.NoError(t, err)
	defer func() { _ = bm.Close() }()
	bl, err := bm.Forward(ids, nil)
	require.NoError(t, err)
	agree := agreement(argmax(want, 256), argmax(logitsF32(t, bl), 256))
	t.Logf("%s on %s: bf16 top-1 agrees with transformers' float32 on %d of %d positions", arch, dev.Name(), agree, len(ids))
	assert.Greater(t, agree, len(ids)/2)

	// 4-bit, group 64, as `lbrx quantize` picks the weights (2-D, not a
	// norm, rows a multiple of the group).
	qm, err := quant.LoadModel(dir)
	require.NoError(t, err)
	defer func() { _ = qm.Close() }()
	for name, a := range qm.Tensors {
		if a.Rank() == 2 && !strings.Contains(name, "norm") && a.Shape()[1]%64 == 0 {
			qm.Tensors[name], err = quant.Quantize(a, 4, 64)
			require.NoError(t, err)
		}
	}
	cfg, err := llama.ReadConfig(filepath.Join(dir, "config.json"))
	require.NoError(t, err)
	q, err := llama.New(cfg, qm.Tensors, llama.Options{Device: dev})
	require.NoError(t, err)
	ql, err := q.Forward(ids, nil)
	require.NoError(t, err)
	onCPU, err := llama.New(cfg, qm.Tensors, llama.Options{Device: core.CPU()})
	require.NoError(t, err)
	cl, err := onCPU.Forward(ids, nil)
	require.NoError(t, err)
	qv := logitsF32(t, ql)
	t.Logf("%s on %s: 4-bit top-1 agrees with float32 on %d of %d positions", arch, dev.Name(), agreement(argmax(want, 256), argmax(qv, 256)), len(ids))
	cv := logitsF32(t, cl)
	delta := quantModelDelta(dev, len(ids), cv, want)
	t.Logf("%s on %s: 4-bit logits max |device - CPU| = %.3g (bound %.3g)", arch, dev.Name(), maxDiff(qv, cv), delta)
	assert.InDeltaSlice(t, cv, qv, delta, "4-bit logits on %s vs the CPU", dev.Name())

	if dev != core.CPU() {
		after := core.Fallbacks()
		for op, n := range after {
			if n > before[op] && strings.HasPrefix(op, dev.Name()+"/") {
				t.Errorf("ran on the CPU instead of %s: %s ×%d", dev.Name(), op, n-before[op])
			}
		}
	}
}

func maxDiff(a, b []float32) float64 {
	var d float64
	for i := range a {
		d = math.Max(d, math.Abs(float64(a[i])-float64(b[i])))
	}
	return d
}

func agreement(a, b []int) int {
	n := 0
	for i := range a {
		if a[i] == b[i] {
			n++
		}
	}
	return n
}
