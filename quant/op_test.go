package quant

import (
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
)

// core.QuantizedMatMulOp runs this module's kernel on the CPU, keeps x's
// dtype and batch shape, and matches MatMul.
func TestCoreQuantizedMatMulOpUsesThisKernel(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	wv := make([]float32, 48*64)
	for i := range wv {
		wv[i] = r.Float32()*2 - 1
	}
	wt, err := core.FromSlice(wv, 48, 64)
	require.NoError(t, err)
	w, err := Quantize(wt.Array(), 4, 32)
	require.NoError(t, err)
	xv := make([]float32, 2*3*64)
	for i := range xv {
		xv[i] = r.Float32()*2 - 1
	}
	x, err := core.FromSlice(xv, 2, 3, 64)
	require.NoError(t, err)

	y, err := core.QuantizedMatMulOp(x.Array(), w)
	require.NoError(t, err)
	assert.Equal(t, core.Shape{2, 3, 48}, y.Shape())
	want, err := MatMul(x.Array(), w)
	require.NoError(t, err)
	yb, err := y.Bytes()
	require.NoError(t, err)
	wb, err := want.Bytes()
	require.NoError(t, err)
	assert.Equal(t, wb, yb)

	xh, err := core.CastOp(x.Array(), core.BF16)
	require.NoError(t, err)
	yh, err := core.QuantizedMatMulOp(xh, w)
	require.NoError(t, err)
	assert.Equal(t, core.BF16, yh.DType())

	_, err = core.QuantizedMatMulOp(wt.Array(), wt.Array())
	require.ErrorContains(t, err, "no quantization info")
}

// The CPU kernel prepares a weight once and reuses it while the array
// lives; a different array (even a view of the same codes) gets its own
// entry, so a sliced weight never reuses its parent's.
func TestPreparedWeightIsCachedPerArray(t *testing.T) {
	wt, err := core.FromSlice(make([]float32, 8*64), 8, 64)
	require.NoError(t, err)
	w, err := Quantize(wt.Array(), 8, 64)
	require.NoError(t, err)
	a, err := preparedWeight(w)
	require.NoError(t, err)
	b, err := preparedWeight(w)
	require.NoError(t, err)
	assert.Same(t, a, b)
	half, err := SliceRows(w, 0, 4)
	require.NoError(t, err)
	c, err := preparedWeight(half)
	require.NoError(t, err)
	assert.NotSame(t, a, c)
	n, _ := c.Dims()
	assert.Equal(t, 4, n)
}

// Prepare reads aligned host codes in place: a quantized model is not
// copied to be multiplied.
func TestPrepareAliasesCodes(t *testing.T) {
	wt, err := core.FromSlice(make([]float32, 8*64), 8, 64)
	require.NoError(t, err)
	w, err := Quantize(wt.Array(), 4, 64)
	require.NoError(t, err)
	pw, err := Prepare(w)
	require.NoError(t, err)
	b, err := w.Bytes()
	require.NoError(t, err)
	aw, ok := pw.(*AffineWeight)
	require.True(t, ok)
	assert.Equal(t, unsafe.Pointer(&b[0]), unsafe.Pointer(&aw.Codes[0]))
}
