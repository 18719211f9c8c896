package quant

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core/gguf"
	"github.com/lbrx/lbrx/core/testfiles"
)

// TestEncodersMatchLlamaQuantize re-quantizes the f16 weights of
// gguf-models/small-llama with EncodeBlocks and compares every tensor
// that llama-quantize (llama.cpp de3ff815, no importance matrix) stored
// in a type lbrx encodes, byte for byte. These are whole weight matrices
// (256x256 to 512x256 and 768x256 rows), so every code path of the
// scale searches meets real data.
func TestEncodersMatchLlamaQuantize(t *testing.T) {
	dir := filepath.Join(testfiles.Dir(t), "gguf-models", "small-llama")
	src, err := gguf.Open(filepath.Join(dir, "small-llama-f16.gguf"))
	require.NoError(t, err)
	defer src.Close()
	seen := map[string]int{}
	for _, name := range []string{"q8_0", "q4_0", "q4_1", "q5_0", "q5_1", "q2_k", "q3_k_m", "q4_k_m", "q5_k_m", "q6_k", "iq4_nl"} {
		f, err := gguf.Open(filepath.Join(dir, "small-llama-"+name+".gguf"))
		require.NoError(t, err)
		for _, ti := range f.Tensors() {
			s := schemeOf(ti.Type.String())
			if s == "" || encoders[s] == nil {
				continue
			}
			t.Run(name+"/"+ti.Name, func(t *testing.T) {
				want, err := f.Bytes(ti.Name)
				require.NoError(t, err)
				vals, err := src.Float32(ti.Name)
				require.NoError(t, err)
				x, err := vals.Values()
				require.NoError(t, err)
				got := make([]byte, len(want))
				require.NoError(t, EncodeBlocks(s, got, x))
				bb := BlockBytes(s)
				for i := 0; i < len(want); i += bb {
					require.Equalf(t, want[i:i+bb], got[i:i+bb], "%s block %d differs from llama-quantize's", s, i/bb)
				}
			})
			seen[ti.Type.String()]++
		}
		require.NoError(t, f.Close())
	}
	for _, typ := range []string{"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL"} {
		require.NotZerof(t, seen[typ], "no %s tensor compared", typ)
	}
	t.Logf("tensors compared per type: %v", seen)
}
