package integration

import (
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/models/llama"
)

// TestGGUFModelsDecodeStepByStep runs every shared GGUF model's prompt
// on the CPU one token per forward call (decode steps through the cache:
// on the CPU q/k/v and gate/up run as one quantized_matmul_concat each)
// and compares each step's logits with the exact float64 forward pass
// within TestGGUFModelsMatchReferences's bound.
func TestGGUFModelsDecodeStepByStep(t *testing.T) {
	for _, gm := range ggufModels(t) {
		t.Run(gm.name, func(t *testing.T) {
			base := strings.TrimSuffix(gm.path, ".gguf")
			exact := readLogits(t, base+".exact.npy")
			bound := ggufBound(exact, readLogits(t, base+".llamacpp.npy"))
			ids := readIDs(t, gm.ids)
			m, err := llama.Load(gm.path, llama.Options{Device: core.CPU()})
			require.NoError(t, err)
			defer func() { _ = m.Close() }()
			c := m.NewCache()
			var got []float32
			for _, id := range ids {
				logits, err := m.Forward([]int{id}, c)
				require.NoError(t, err)
				got = append(got, logitsF32(t, logits)...)
			}
			require.Len(t, got, len(exact))
			var d float64
			for i := range exact {
				d = math.Max(d, math.Abs(float64(got[i])-float64(exact[i])))
			}
			t.Logf("%s step by step: max |lbrx - exact| = %.3g (bound %.3g)", gm.name, d, bound)
			assert.LessOrEqual(t, d, bound, gm.name)
		})
	}
}

// TestGGUFModelsRecordedStepOnCPU generates greedily from each quantized
// shared GGUF model on the CPU with the decode step recorded and
// replayed (quantized_matmul_concat among its ops) and op by op: the
// tokens must be the same.
func TestGGUFModelsRecordedStepOnCPU(t *testing.T) {
	for _, gm := range ggufModels(t) {
		t.Run(gm.name, func(t *testing.T) {
			ids := readIDs(t, gm.ids)
			m, err := llama.Load(gm.path, llama.Options{Device: core.CPU()})
			require.NoError(t, err)
			defer func() { _ = m.Close() }()
			gen := func(eager bool) []int {
				var out []int
				_, err := m.Generate(ids, llama.GenerateOptions{MaxTokens: 12, IgnoreEOS: true, Eager: eager}, func(id int) bool {
					out = append(out, id)
					return true
				})
				require.NoError(t, err)
				return out
			}
			eager := gen(true)
			require.Len(t, eager, 12)
			require.Equal(t, eager, gen(false))
		})
	}
}
