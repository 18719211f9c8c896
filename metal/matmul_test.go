package metal

import (
	"testing"

	"github.com/lbrx/lbrx/core"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMatmulOpShapes(t *testing.T) {
	op, err := matmulOp(core.CPU(), arr(t, core.F32, 2, 1, 3, 4), arr(t, core.F32, 5, 4, 6))
	require.NoError(t, err)
	assert.Equal(t, core.Shape{2, 5, 3, 6}, op.Out.Shape())
	assert.Equal(t, core.Shape{2, 5, 3, 4}, op.Inputs[0].Shape())
	assert.Equal(t, core.Shape{2, 5, 4, 6}, op.Inputs[1].Shape())
	assert.Equal(t, 0, op.Inputs[1].Strides()[0], "B broadcast over the leading batch")

	// The op runs on the CPU with core's kernel, so the same Op is what
	// the GPU receives.
	require.NoError(t, core.Run(op))

	_, err = matmulOp(core.CPU(), arr(t, core.F32, 3, 4), arr(t, core.F32, 5, 6))
	require.ErrorContains(t, err, "inner dimensions 4 and 5 differ")
	_, err = matmulOp(core.CPU(), arr(t, core.F32, 4), arr(t, core.F32, 4, 6))
	require.ErrorContains(t, err, "at least 2 dimensions")
	_, err = matmulOp(core.CPU(), arr(t, core.F32, 3, 4), arr(t, core.F16, 4, 6))
	require.ErrorContains(t, err, "dtypes differ")
	_, err = matmulOp(core.CPU(), arr(t, core.F32, 2, 3, 4), arr(t, core.F32, 3, 4, 6))
	require.ErrorContains(t, err, "batch dimensions")
}

func TestMatMulNeedsContext(t *testing.T) {
	_, err := NewMatMul(nil)
	require.Error(t, err)
}
