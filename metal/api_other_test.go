//go:build !darwin

package metal

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
)

// Off macOS the whole API compiles and every entry point says Metal needs
// macOS instead of failing to build.
func TestAPIOffMacOSSaysMetalNeedsMacOS(t *testing.T) {
	ctx, err := NewContext()
	require.ErrorContains(t, err, "Metal needs macOS")
	assert.Nil(t, ctx)
	_, err = DefaultContext()
	require.ErrorIs(t, err, errNoMetal)
	_, err = NewStorage[float32](16, ctx)
	require.ErrorContains(t, err, "Metal needs macOS")
	_, err = New(64, ctx)
	require.ErrorContains(t, err, "Metal needs macOS")
	var c Context
	_, err = c.Import(nil)
	require.ErrorIs(t, err, errNoMetal)
	require.ErrorIs(t, c.CopyToHost(nil, nil, 0), errNoMetal)
	var s Storage[float32]
	_, err = s.Array(4)
	require.ErrorIs(t, err, errNoMetal)
	require.ErrorIs(t, s.CopyFromCPU([]float32{1}), errNoMetal)

	d, err := core.Lookup("metal")
	require.NoError(t, err)
	assert.False(t, d.Status().Available)
	_, err = d.Alloc(4)
	require.ErrorContains(t, err, "Metal needs macOS")
}
