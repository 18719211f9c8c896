package llama

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core/gguf"
	"github.com/lbrx/lbrx/core/testfiles"
	"github.com/lbrx/lbrx/quant"
)

// ggufTestArchs are the shared architectures with a GGUF form (Mistral's
// window has none: llama.cpp runs Mistral files as llama).
var ggufTestArchs = []string{"qwen2", "qwen3", "phi3", "gemma2", "gemma3"}

// writeArchGGUF writes archs/<arch> as an F32 GGUF with tiny-llama's
// 256-token vocabulary (llama.cpp needs one to run the file). The name
// avoids "phi3", for which llama.cpp's vocabulary loader looks up Phi-3's
// own special tokens.
func writeArchGGUF(t *testing.T, arch string) string {
	t.Helper()
	dir, _, _ := archReference(t, arch)
	cfg, err := ReadConfig(filepath.Join(dir, "config.json"))
	require.NoError(t, err)
	qm, err := quant.LoadModel(dir)
	require.NoError(t, err)
	defer qm.Close()
	out := filepath.Join(t.TempDir(), arch+".gguf")
	require.NoError(t, WriteGGUF(out, cfg, qm.Tensors, GGUFWriteOptions{Type: gguf.F32, Name: "lbrx-archs-test",
		Vocabulary: vocabulary(t, testfiles.Path(t, "gguf-models", "tiny-llama-f32.gguf"))}))
	return out
}

// TestGGUFArchitecturesMatchTransformers writes each architecture as
// llama.cpp's converter would and runs the file: the GGUF translation
// (names, keys, Gemma's stored 1 + w norms, fused Phi-3 projections,
// tied outputs, sliding layers) gives transformers' logits.
func TestGGUFArchitecturesMatchTransformers(t *testing.T) {
	for _, arch := range ggufTestArchs {
		t.Run(arch, func(t *testing.T) {
			_, ids, want := archReference(t, arch)
			path := writeArchGGUF(t, arch)
			f, err := gguf.Open(path)
			require.NoError(t, err)
			kv, _ := f.Get("general.architecture")
			assert.Equal(t, arch, kv.Value)
			require.NoError(t, f.Close())
			m := load(t, path, Options{})
			assert.False(t, m.Config.GGMLRopeOrder, "only llama permutes Q and K")
			logits, err := m.Forward(ids, nil)
			require.NoError(t, err)
			d := maxAbsDiff(f32Values(t, logits), want)
			t.Logf("%s GGUF: max |lbrx - transformers| = %.3g", arch, d)
			assert.LessOrEqual(t, d, 1e-4)
		})
	}
}

// TestGGUFArchitecturesInLlamaCpp runs the same files in llama.cpp: it
// loads them, and its logits agree with transformers', so the layout lbrx
// reads is llama.cpp's. The bound, 2e-3, is llama.cpp's own noise on
// float32 weights, measured: 0.9e-3 to 1.1e-3 on these five models with
// the logits tool's defaults (its CPU flash attention works in f16; with
// it off, 0.4e-3 to 1.3e-3, the rest being ggml's approximate
// activations and exponentials), the same on every architecture; a
// misread tensor, key or norm would move the logits far more.
func TestGGUFArchitecturesInLlamaCpp(t *testing.T) {
	bin := llamacppBin(t)
	for _, arch := range ggufTestArchs {
		t.Run(arch, func(t *testing.T) {
			_, ids, want := archReference(t, arch)
			path := writeArchGGUF(t, arch)
			out := filepath.Join(t.TempDir(), "logits.f32")
			b, err := exec.Command(filepath.Join(bin, "logits"), path, joinIDs(ids), out).CombinedOutput()
			require.NoError(t, err, "llama.cpp on %s: %s", arch, b)
			got := readF32File(t, out)
			require.Len(t, got, len(want))
			d := maxAbsDiff(got, want)
			t.Logf("%s GGUF in llama.cpp: max |llama.cpp - transformers| = %.3g", arch, d)
			assert.LessOrEqual(t, d, 2e-3)
		})
	}
}

// Mistral's sliding window has no GGUF form: writing it is refused.
func TestWriteGGUFRefusesMistralWindow(t *testing.T) {
	dir, _, _ := archReference(t, "mistral")
	cfg, err := ReadConfig(filepath.Join(dir, "config.json"))
	require.NoError(t, err)
	err = WriteGGUF(filepath.Join(t.TempDir(), "m.gguf"), cfg, nil, GGUFWriteOptions{Type: gguf.F32})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "sliding window")
}
