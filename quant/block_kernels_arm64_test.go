//go:build arm64 && !noasm

package quant

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
)

// TestRowKernelsInstalled makes sure the comparison tests run the NEON
// kernels (under qemu-user on amd64 hosts: go tool mage perf:arm64).
func TestRowKernelsInstalled(t *testing.T) {
	for _, s := range []core.Scheme{core.SchemeQ8_0, core.SchemeQ4_0, core.SchemeQ4_K, core.SchemeQ5_K, core.SchemeQ6_K,
		core.SchemeQ4_1, core.SchemeQ5_0, core.SchemeQ5_1, core.SchemeIQ4_NL, core.SchemeQ2_K, core.SchemeQ3_K,
		core.SchemeF16, core.SchemeBF16} {
		rk := rowKernels[s]
		require.Len(t, rk.variants, 1, "%s", s)
		require.Equal(t, "neon", rk.variants[0].name)
		require.NotNil(t, rk.goDot)
	}
	require.True(t, HalfVectorized())
}
