package llama

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/core/testfiles"
	"github.com/lbrx/lbrx/quant"
)

// quantizedTinyLlama quantizes tiny-llama's 2-D weights (not the norms)
// whose rows the group size divides, in memory, as `lbrx quantize` does
// on disk (with group 64 the down projections, K = 160, stay float).
func quantizedTinyLlama(t *testing.T, bits, group int) (Config, map[string]*core.Array) {
	t.Helper()
	dir := testfiles.Path(t, "safetensors", "tiny-llama")
	cfg, err := ReadConfig(dir + "/config.json")
	require.NoError(t, err)
	qm, err := quant.LoadModel(dir)
	require.NoError(t, err)
	t.Cleanup(func() { _ = qm.Close() })
	out := map[string]*core.Array{}
	for name, a := range qm.Tensors {
		if a.Rank() == 2 && !strings.Contains(name, "norm") && a.Shape()[1]%group == 0 {
			if a, err = quant.Quantize(a, bits, group); err != nil {
				t.Fatal(err)
			}
		}
		out[name] = a
	}
	return cfg, out
}

func TestQuantizedTinyLlamaAgreesWithFloat32(t *testing.T) {
	f := load(t, testfiles.Path(t, "safetensors", "tiny-llama"), Options{})
	fl, err := f.Forward(refIDs, nil)
	require.NoError(t, err)
	want := argmaxRows(f32Values(t, fl), 256)
	for _, p := range []struct{ bits, group int }{{4, 64}, {4, 32}, {8, 64}} {
		bits := p.bits
		cfg, tensors := quantizedTinyLlama(t, bits, p.group)
		m, err := New(cfg, tensors, Options{Device: core.CPU()})
		require.NoError(t, err)
		require.NotNil(t, m.layers[0].q.w.Quant(), "layers run quantized")
		logits, err := m.Forward(refIDs, nil)
		require.NoError(t, err)
		got := argmaxRows(f32Values(t, logits), 256)
		agree := 0
		for i := range want {
			if got[i] == want[i] {
				agree++
			}
		}
		t.Logf("%d-bit g%d: top-1 agrees with float32 on %d of %d positions", bits, p.group, agree, len(want))
		assert.GreaterOrEqual(t, agree, len(want)/2+1, "%d-bit: most positions agree", bits)
		// The cached path agrees with the full prompt for quantized layers
		// too (and uses the quantized embedding row lookup).
		c := m.NewCache()
		_, err = m.Forward(refIDs[:4], c)
		require.NoError(t, err)
		step, err := m.Forward(refIDs[4:5], c)
		require.NoError(t, err)
		full := f32Values(t, logits)[4*256 : 5*256]
		assert.InDeltaSlice(t, full, f32Values(t, step), 1e-4)
	}
}

func TestNewRejectsMismatchedTensors(t *testing.T) {
	cfg, tensors := quantizedTinyLlama(t, 8, 64)
	delete(tensors, "model.layers.1.mlp.up_proj.weight")
	_, err := New(cfg, tensors, Options{Device: core.CPU()})
	require.ErrorContains(t, err, `tensor "model.layers.1.mlp.up_proj.weight" is missing`)

	cfg, tensors = quantizedTinyLlama(t, 8, 64)
	cfg.IntermediateSize = 128
	_, err = New(cfg, tensors, Options{Device: core.CPU()})
	require.ErrorContains(t, err, "has shape [160 64], config.json implies [128 64]")

	cfg, tensors = quantizedTinyLlama(t, 8, 64)
	_, err = New(cfg, tensors, Options{Device: core.CPU(), DType: core.I32})
	require.ErrorContains(t, err, "activation dtype")
}
