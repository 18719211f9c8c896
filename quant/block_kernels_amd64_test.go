//go:build amd64 && !noasm

package quant

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
)

// TestRowKernelsInstalled makes sure the comparison tests are not
// vacuous on a CPU that has the instructions.
func TestRowKernelsInstalled(t *testing.T) {
	if !hasAVX2FMA {
		t.Skip("CPU without AVX2+FMA: the Go kernels run")
	}
	for _, s := range []core.Scheme{core.SchemeQ8_0, core.SchemeQ4_0, core.SchemeQ4_K, core.SchemeQ5_K, core.SchemeQ6_K,
		core.SchemeQ4_1, core.SchemeQ5_0, core.SchemeQ5_1, core.SchemeIQ4_NL, core.SchemeQ2_K, core.SchemeQ3_K,
		core.SchemeF16, core.SchemeBF16} {
		require.NotNil(t, rowKernels[s].goDot, "%s has no assembly kernel", s)
	}
	require.True(t, HalfVectorized())
	if hasAVX512 {
		for _, s := range []core.Scheme{core.SchemeQ8_0, core.SchemeQ4_0, core.SchemeQ4_K, core.SchemeQ5_K, core.SchemeQ6_K,
			core.SchemeQ4_1, core.SchemeQ5_0, core.SchemeQ5_1, core.SchemeIQ4_NL, core.SchemeQ2_K, core.SchemeQ3_K,
			core.SchemeF16, core.SchemeBF16} {
			require.Len(t, rowKernels[s].variants, 2, "%s: expected AVX2 and AVX-512 kernels", s)
		}
	}
}

// TestBlockDecodersInstalled makes sure the decoder comparison test
// covers the assembly decoders on a CPU that has AVX-512.
func TestBlockDecodersInstalled(t *testing.T) {
	if !hasAVX512 {
		t.Skip("CPU without AVX-512: the reference decoder runs for Q4_0 and Q8_0")
	}
	require.Contains(t, blockDecoders, core.SchemeQ4_0)
	require.Contains(t, blockDecoders, core.SchemeQ8_0)
}
