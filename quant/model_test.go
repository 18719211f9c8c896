package quant

import (
	"path/filepath"
	"testing"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/core/safetensors"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSaveLoadMLXLayout(t *testing.T) {
	dir := t.TempDir()
	q4, want4 := quantizedFixture(t, 4, 64)
	q3, want3 := quantizedFixture(t, 3, 32)
	norm, err := core.Full[float32](1, 256)
	require.NoError(t, err)

	w := safetensors.NewWriter()
	w.SetMetadata(map[string]string{"format": "mlx"})
	require.NoError(t, AddToWriter(w, "model.layers.0.mlp.up_proj.weight", q4))
	zq, err := WithZeroPoints(q3) // stored as biases, as mlx-lm does
	require.NoError(t, err)
	require.NoError(t, AddToWriter(w, "model.layers.0.mlp.down_proj.weight", zq))
	require.NoError(t, AddToWriter(w, "model.norm.weight", norm.Array()))
	require.NoError(t, w.WriteFile(filepath.Join(dir, "model.safetensors")))
	cfg := map[string]any{"model_type": "llama"}
	SetQuantizationConfig(cfg, 4, 64)
	// A per-layer override, as mlx-lm writes for mixed quantization.
	cfg["quantization"].(map[string]any)["model.layers.0.mlp.down_proj"] = map[string]any{"bits": 3, "group_size": 32}
	require.NoError(t, WriteConfig(filepath.Join(dir, "config.json"), cfg))

	f, err := safetensors.Open(filepath.Join(dir, "model.safetensors"))
	require.NoError(t, err)
	assert.Equal(t, []string{
		"model.layers.0.mlp.down_proj.biases", "model.layers.0.mlp.down_proj.scales", "model.layers.0.mlp.down_proj.weight",
		"model.layers.0.mlp.up_proj.biases", "model.layers.0.mlp.up_proj.scales", "model.layers.0.mlp.up_proj.weight",
		"model.norm.weight",
	}, f.Names())
	info, _ := f.Info("model.layers.0.mlp.up_proj.weight")
	assert.Equal(t, "U32", info.DType)
	assert.Equal(t, core.Shape{8, 32}, info.Shape)
	info, _ = f.Info("model.layers.0.mlp.up_proj.scales")
	assert.Equal(t, "F32", info.DType)
	assert.Equal(t, core.Shape{8, 4}, info.Shape)
	require.NoError(t, f.Close())

	m, err := LoadModel(dir)
	require.NoError(t, err)
	defer func() { require.NoError(t, m.Close()) }()
	require.Len(t, m.Tensors, 3)
	up := m.Tensors["model.layers.0.mlp.up_proj.weight"]
	require.NotNil(t, up.Quant())
	assert.Equal(t, 4, up.Quant().Bits)
	assert.Equal(t, 64, up.Quant().GroupSize)
	assert.Equal(t, core.Shape{8, 256}, up.Quant().Shape)
	assert.Equal(t, want4, dequantValues(t, up))
	down := m.Tensors["model.layers.0.mlp.down_proj.weight"]
	assert.Equal(t, 3, down.Quant().Bits)
	got3 := dequantValues(t, down)
	for i := range want3 {
		require.InDelta(t, want3[i], got3[i], 1e-6)
	}
	assert.Nil(t, m.Tensors["model.norm.weight"].Quant())
	assert.Equal(t, "llama", m.Config["model_type"])
}

func TestSaveRejects(t *testing.T) {
	q, _ := quantizedFixture(t, 4, 64)
	w := safetensors.NewWriter()
	require.ErrorContains(t, AddToWriter(w, "layer.codes", q), ".weight")
	wt, err := core.Zeros[float32](2, 64)
	require.NoError(t, err)
	b, err := QuantizeBlocks(wt.Array(), core.SchemeQ4_0)
	require.NoError(t, err)
	require.ErrorContains(t, AddToWriter(w, "x.weight", b), "BlocksToAffine")
}

func TestLoadNeedsConfig(t *testing.T) {
	dir := t.TempDir()
	q, _ := quantizedFixture(t, 4, 64)
	w := safetensors.NewWriter()
	require.NoError(t, AddToWriter(w, "l.weight", q))
	require.NoError(t, w.WriteFile(filepath.Join(dir, "model.safetensors")))
	_, err := LoadModel(dir)
	require.ErrorContains(t, err, "config.json")
	cfg := map[string]any{}
	SetQuantizationConfig(cfg, 8, 64) // wrong bits for these codes
	require.NoError(t, WriteConfig(filepath.Join(dir, "config.json"), cfg))
	_, err = LoadModel(dir)
	require.ErrorContains(t, err, "do not match 8 bits")
}
