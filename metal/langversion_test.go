package metal

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLanguageVersion(t *testing.T) {
	v, err := languageVersion(LanguageVersion)
	require.NoError(t, err)
	// MTLLanguageVersion3_0 is 196608 (3<<16) in Apple's headers.
	assert.Equal(t, uint(196608), v)
	v, err = languageVersion("metal3.1")
	require.NoError(t, err)
	assert.Equal(t, uint(196609), v)
	v, err = languageVersion("metal2.4")
	require.NoError(t, err)
	assert.Equal(t, uint(131076), v)
	for _, bad := range []string{"", "3.0", "metal3", "metalx.0", "metal0.1", "metal3.999"} {
		_, err := languageVersion(bad)
		require.Error(t, err, bad)
	}
}
