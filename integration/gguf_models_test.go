package integration

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
	"github.com/lbrx/lbrx/core/npy"
	"github.com/lbrx/lbrx/core/testfiles"
	"github.com/lbrx/lbrx/models/llama"
)

// ggufModel is one shared GGUF model with its ids and reference logits.
type ggufModel struct {
	name, path, ids string
}

// ggufModels lists every model in gguf-models/ (tiny-llama-*.gguf and
// small-llama/*.gguf), so a file added there is tested without an edit.
func ggufModels(t *testing.T) []ggufModel {
	t.Helper()
	var out []ggufModel
	for _, sub := range []struct{ dir, ids string }{{"", "tiny-llama.ids"}, {"small-llama", "ids"}} {
		dir := testfiles.Path(t, "gguf-models", sub.dir)
		matches, err := filepath.Glob(filepath.Join(dir, "*.gguf"))
		require.NoError(t, err)
		for _, m := range matches {
			out = append(out, ggufModel{name: strings.TrimSuffix(filepath.Base(m), ".gguf"), path: m, ids: filepath.Join(dir, sub.ids)})
		}
	}
	require.GreaterOrEqual(t, len(out), 16, "gguf-models holds 3 tiny and 13 small models")
	return out
}

func readIDs(t *testing.T, path string) []int {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var ids []int
	for _, s := range strings.Split(strings.TrimSpace(string(b)), ",") {
		id, err := strconv.Atoi(strings.TrimSpace(s))
		require.NoError(t, err)
		ids = append(ids, id)
	}
	return ids
}

func readLogits(t *testing.T, path string) []float32 {
	t.Helper()
	a, err := npy.ReadFile(path)
	require.NoError(t, err)
	return logitsF32(t, a)
}

// ggufBound is the tolerance: max(1e-3, 2 * max|llamacpp - exact|),
// twice the distance llama.cpp itself keeps from the exact logits.
func ggufBound(exact, llamacpp []float32) float64 {
	var d float64
	for i := range exact {
		d = math.Max(d, math.Abs(float64(llamacpp[i])-float64(exact[i])))
	}
	return math.Max(1e-3, 2*d)
}

// TestGGUFModelsMatchReferences runs every shared GGUF model on every
// available device and compares lbrx's logits with the float64 forward
// pass over gguf-py's dequantized weights (exact.npy), within twice
// llama.cpp's own distance from it. A device must run the quantized
// matmuls itself: a CPU fallback of quantized_matmul fails the test.
func TestGGUFModelsMatchReferences(t *testing.T) {
	models := ggufModels(t)
	for _, dev := range core.Devices() {
		t.Run(dev.Name(), func(t *testing.T) {
			if st := dev.Status(); !st.Available {
				t.Skipf("device %s unavailable: %s", dev.Name(), st.Reason)
			}
			for _, gm := range models {
				t.Run(gm.name, func(t *testing.T) {
					base := strings.TrimSuffix(gm.path, ".gguf")
					exact := readLogits(t, base+".exact.npy")
					bound := ggufBound(exact, readLogits(t, base+".llamacpp.npy"))
					ids := readIDs(t, gm.ids)
					before := core.Fallbacks()
					m, err := llama.Load(gm.path, llama.Options{Device: dev})
					require.NoError(t, err)
					defer func() { _ = m.Close() }()
					logits, err := m.Forward(ids, nil)
					require.NoError(t, err)
					got := logitsF32(t, logits)
					require.Len(t, got, len(exact))
					var d float64
					for i := range exact {
						d = math.Max(d, math.Abs(float64(got[i])-float64(exact[i])))
					}
					t.Logf("%s on %s: max |lbrx - exact| = %.3g (bound %.3g)", gm.name, dev.Name(), d, bound)
					assert.LessOrEqual(t, d, bound, "%s on %s", gm.name, dev.Name())
					for op, n := range core.Fallbacks() {
						if n > before[op] && strings.HasPrefix(op, dev.Name()+"/") {
							if strings.HasSuffix(op, "/quantized_matmul") {
								t.Errorf("%s: quantized_matmul ran on the CPU instead of %s ×%d", gm.name, dev.Name(), n-before[op])
							} else {
								t.Logf("ran on the CPU instead of %s: %s ×%d", dev.Name(), op, n-before[op])
							}
						}
					}
				})
			}
		})
	}
}
