package llama

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/core/testfiles"
)

// TestGGUFHalfWeightsInPlace: a float32 model on the CPU multiplies by
// the weights of an F16/BF16 GGUF file in place. Every linear weight is
// a one-value-block view (quant.HalfBlocks) of the file's mapping, the
// embedding table stays half (the rows looked up are cast), and nothing
// is widened; with the activation dtype of the file the weights are its
// plain arrays as before. TestGGUFModelsMatchReferences (integration)
// checks the logits of both files against their references.
func TestGGUFHalfWeightsInPlace(t *testing.T) {
	for _, c := range []struct {
		file   string
		dt     core.DType
		scheme core.Scheme
	}{
		{"small-llama-f16.gguf", core.F16, core.SchemeF16},
		{"small-llama-bf16.gguf", core.BF16, core.SchemeBF16},
	} {
		t.Run(c.file, func(t *testing.T) {
			path := testfiles.Path(t, "gguf-models", "small-llama", c.file)
			m := load(t, path, Options{})
			require.Equal(t, core.F32, m.DType())
			ws := []*core.Array{m.lmHead.w}
			for _, b := range m.layers {
				ws = append(ws, b.q.w, b.k.w, b.v.w, b.o.w, b.gate.w, b.up.w, b.down.w)
			}
			for _, w := range ws {
				q := w.Quant()
				require.NotNil(t, q, "%s was widened", w.Name())
				require.Equal(t, c.scheme, q.Scheme, w.Name())
				_, mapped := w.Storage().(*core.Mapped)
				require.True(t, mapped, "%s is not a view of the file's mapping", w.Name())
			}
			require.Equal(t, c.dt, m.embed.DType(), "the embedding table was cast")
			_, mapped := m.embed.Storage().(*core.Mapped)
			require.True(t, mapped, "the embedding table is not a view of the file's mapping")
			logits, err := m.Forward([]int{1, 2, 3}, nil)
			require.NoError(t, err)
			require.Equal(t, core.F32, logits.DType())

			half := load(t, path, Options{DType: c.dt})
			require.Nil(t, half.layers[0].q.w.Quant())
			require.Equal(t, c.dt, half.layers[0].q.w.DType())
		})
	}
}
