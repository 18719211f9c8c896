package llama

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core/testfiles"
)

// batchModels are the models the batch tests run: unquantized (Sgemm)
// and quantized matmuls (block and K-quants), bf16, and Gemma 2's sliding
// windows and soft caps.
var batchModels = map[string][]string{
	"f32 safetensors":  {"safetensors", "tiny-llama"},
	"q8_0 gguf":        {"gguf-models", "small-llama", "small-llama-q8_0.gguf"},
	"q4_0 gguf":        {"gguf-models", "small-llama", "small-llama-q4_0.gguf"},
	"q4_k_m gguf":      {"gguf-models", "small-llama", "small-llama-q4_k_m.gguf"},
	"bf16 gguf":        {"gguf-models", "small-llama", "small-llama-bf16.gguf"},
	"gemma2 (windows)": {"archs", "gemma2"},
}

// pathTol is the largest logit difference allowed between two ways of
// computing the same positions (batched or not, prefill or steps) on the
// CPU. Q4_0 and Q8_0 products quantize their inputs to 8 bits per block
// of 32 there, and a rounding difference upstream can move one block's
// codes by a step, so those paths differ by more than float rounding:
// 1e-2, under a third of the bound TestGGUFModelsMatchReferences sets
// for the small Q4_0 model against exact float64 (3.5e-2). The paths
// that must not differ at all are compared bit for bit.
func pathTol(model string) float64 {
	switch model {
	case "q4_0 gguf", "q8_0 gguf":
		return 1e-2
	}
	return 2e-3
}

// At one batch width a sequence's logits are the same bits in any row,
// whatever the other rows hold (other sequences at other positions, or
// padding), step after step; and they are Forward's, to rounding.
func TestForwardBatchIsBatchInvariant(t *testing.T) {
	for name, path := range batchModels {
		t.Run(name, func(t *testing.T) {
			m := load(t, testfiles.Path(t, path...), Options{})
			v := m.Config.VocabSize
			prompt := []int{1, 5, 9}
			// run decodes 3 steps of the prompt's sequence in row slot of
			// a pass of width w; the other rows are padding (alone) or
			// other sequences with prompts of other lengths.
			run := func(w, slot int, alone bool) []float32 {
				ids := make([]int, w)
				cs := make([]*Cache, w)
				for j := range w {
					ids[j] = (11 + j*13) % v
					if j == slot || alone {
						continue
					}
					cs[j] = m.NewCache()
					_, err := m.ForwardLast(prompt[:1+j%3], cs[j])
					require.NoError(t, err)
				}
				cs[slot] = m.NewCache()
				_, err := m.ForwardLast(prompt, cs[slot])
				require.NoError(t, err)
				ids[slot] = 42
				var out []float32
				for step := range 3 {
					got, err := m.ForwardBatch(ids, cs)
					require.NoError(t, err)
					require.Equal(t, []int{w, v}, []int(got.Shape()))
					out = append(out, f32Values(t, got)[slot*v:(slot+1)*v]...)
					ids[slot] = 40 + step
				}
				assert.Equal(t, len(prompt)+3, cs[slot].Len())
				return out
			}
			// Widths on both sides of the kernels' thresholds (one row,
			// a few, 32 and more: block weights switch from row kernels
			// to decoded panels at 32).
			for _, w := range []int{1, 4, 8, 33} {
				want := run(w, 0, true)
				slots := []int{0, w / 2, w - 1}
				if w <= 8 {
					slots = slots[:0]
					for slot := range w {
						slots = append(slots, slot)
					}
				}
				for _, slot := range slots {
					require.Equal(t, want, run(w, slot, false), "width %d, slot %d", w, slot)
				}
			}
			// The same steps through Forward, one sequence at a time.
			c := m.NewCache()
			_, err := m.ForwardLast(prompt, c)
			require.NoError(t, err)
			want := run(4, 2, false)
			for step, id := range []int{42, 40, 41} {
				got, err := m.Forward([]int{id}, c)
				require.NoError(t, err)
				assert.InDeltaSlice(t, want[step*v:(step+1)*v], f32Values(t, got), pathTol(name), "step %d", step)
			}
		})
	}
}

func TestForwardBatchRejectsBadInput(t *testing.T) {
	m := load(t, testfiles.Path(t, "safetensors", "tiny-llama"), Options{})
	c := m.NewCache()
	_, err := m.ForwardBatch(nil, nil)
	require.ErrorContains(t, err, "no token ids")
	_, err = m.ForwardBatch([]int{1, 2}, []*Cache{c})
	require.ErrorContains(t, err, "2 token ids for 1 caches")
	_, err = m.ForwardBatch([]int{1, 2}, []*Cache{c, c})
	require.ErrorContains(t, err, "share a cache")
	_, err = m.ForwardBatch([]int{1, 999}, []*Cache{c, m.NewCache()})
	require.ErrorContains(t, err, "outside the vocabulary")
	assert.Equal(t, 0, c.Len(), "a failed batch leaves the caches alone")
	_, err = m.ForwardLast([]int{1}, nil)
	require.ErrorContains(t, err, "needs a cache")
}
