package metal

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/lbrx/lbrx/core"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPlanQuantAffine(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	w, _ := affineWeight(t, r, core.F16, 9, 128, 4, 64)
	for _, m := range []int{1, 4, 5} {
		x := arr(t, core.F16, m, 128)
		ds, err := planQuantMatmul(x, w, arr(t, core.F16, m, 9))
		require.NoError(t, err)
		require.Len(t, ds, 1)
		want := "qmv_affine4_f16"
		if m > qmvMaxRows {
			want = "qmm_affine4_f16"
		}
		assert.Equal(t, want, ds[0].kernel)
		assert.Equal(t, 5, ds[0].paramIdx)
		p := decode[QuantParams](t, ds[0].params)
		assert.Equal(t, QuantParams{M: uint32(m), N: 9, K: 128, GroupSize: 64, Bits: 4, XRowStride: 128}, p)
		require.Len(t, ds[0].bufs, 5)
		assert.True(t, ds[0].bufs[4].write)
	}
	// x's dtype must match the scales'.
	_, err := planQuantMatmul(arr(t, core.F32, 1, 128), w, arr(t, core.F32, 1, 9))
	require.ErrorIs(t, err, core.ErrUnsupported)
	// K mismatch is an error, not a fallback.
	_, err = planQuantMatmul(arr(t, core.F16, 1, 64), w, arr(t, core.F16, 1, 9))
	require.Error(t, err)
	require.NotErrorIs(t, err, core.ErrUnsupported)
}

// Every affine width with a kernel is planned (2, 4 and 8 bits); the
// others fall back.
func TestPlanQuantAffineWidths(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	for _, bits := range []int{2, 3, 4, 5, 6, 8} {
		w, _ := affineWeight(t, r, core.F32, 5, 128, bits, 32)
		for _, m := range []int{1, 7} {
			ds, err := planQuantMatmul(arr(t, core.F32, m, 128), w, arr(t, core.F32, m, 5))
			if bits != 2 && bits != 4 && bits != 8 {
				require.ErrorIs(t, err, core.ErrUnsupported, "%d bits", bits)
				continue
			}
			require.NoError(t, err, "%d bits", bits)
			kind := "qmv"
			if m > qmvMaxRows {
				kind = "qmm"
			}
			assert.Equal(t, fmt.Sprintf("%s_affine%d_f32", kind, bits), ds[0].kernel)
			assert.Equal(t, uint32(bits), decode[QuantParams](t, ds[0].params).Bits)
		}
	}
}

func TestPlanQuantGGML(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	for _, s := range []core.Scheme{core.SchemeQ8_0, core.SchemeQ4_0} {
		w, _ := ggmlWeight(t, r, s, 3, 64)
		// x rows taken every other row of a bigger matrix: row stride 128.
		big := arr(t, core.F32, 4, 128)
		x, err := big.Slice(1, 0, 64, 1)
		require.NoError(t, err)
		x, err = x.Slice(0, 0, 4, 2)
		require.NoError(t, err)
		ds, err := planQuantMatmul(x, w, arr(t, core.F32, 2, 3))
		require.NoError(t, err)
		name := map[core.Scheme]string{core.SchemeQ8_0: "qmv_q8_0_f32", core.SchemeQ4_0: "qmv_q4_0_f32"}[s]
		assert.Equal(t, name, ds[0].kernel)
		p := decode[QuantParams](t, ds[0].params)
		assert.Equal(t, uint32(256), p.XRowStride)
		assert.Equal(t, uint32(32), p.GroupSize)
		l, err := ds[0].launch(0, 0)
		require.NoError(t, err)
		assert.Equal(t, Size{1, 2, 1}, l.Groups)
	}
	w, _ := ggmlWeight(t, r, core.SchemeQ4_0, 3, 64)
	_, err := planQuantMatmul(arr(t, core.F16, 1, 64), w, arr(t, core.F16, 1, 3))
	require.ErrorIs(t, err, core.ErrUnsupported, "ggml kernels take f32")
	plain := arr(t, core.F32, 3, 64)
	_, err = planQuantMatmul(arr(t, core.F32, 1, 64), plain, arr(t, core.F32, 1, 3))
	require.ErrorContains(t, err, "no quantization info")
}

// TestPlanQuantGGMLBlocks: every other ggml block type plans qmv_ for up to
// qmvMaxRows rows and qmm_ beyond, for x in each float dtype, with the
// block's value count as the group size; a K that is not whole blocks and
// a byte count that does not match are errors, not fallbacks.
func TestPlanQuantGGMLBlocks(t *testing.T) {
	for _, s := range GGMLBlockSchemes {
		b, ok := GGMLBlockOf(s)
		require.True(t, ok)
		k := 2 * b.Values
		w, err := arr(t, core.U8, 3, 2*b.Bytes).WithMetadata(core.Metadata{Quant: &core.QuantizationInfo{Scheme: s, Shape: core.Shape{3, k}}})
		require.NoError(t, err)
		for _, dt := range []core.DType{core.F32, core.F16, core.BF16} {
			sfx, _ := suffix(dt)
			for _, m := range []int{1, qmvMaxRows + 1} {
				ds, err := planQuantMatmul(arr(t, dt, m, k), w, arr(t, dt, m, 3))
				require.NoError(t, err, "%s %v m=%d", s, dt, m)
				require.Len(t, ds, 1)
				kind := "qmv"
				if m > qmvMaxRows {
					kind = "qmm"
				}
				assert.Equal(t, kind+"_"+b.Name+"_"+sfx, ds[0].kernel)
				assert.Contains(t, Kernels(), ds[0].kernel)
				p := decode[QuantParams](t, ds[0].params)
				assert.Equal(t, QuantParams{M: uint32(m), N: 3, K: uint32(k), GroupSize: uint32(b.Values), XRowStride: uint32(k)}, p)
				require.Len(t, ds[0].bufs, 3)
				assert.True(t, ds[0].bufs[2].write)
			}
		}
		bad, err := arr(t, core.U8, 3, 2*b.Bytes).WithMetadata(core.Metadata{Quant: &core.QuantizationInfo{Scheme: s, Shape: core.Shape{3, k + 32}}})
		require.NoError(t, err)
		_, err = planQuantMatmul(arr(t, core.F32, 1, k+32), bad, arr(t, core.F32, 1, 3))
		if b.Values == 32 {
			require.ErrorContains(t, err, "are not U8")
		} else {
			require.ErrorContains(t, err, "not a multiple of the")
		}
		require.NotErrorIs(t, err, core.ErrUnsupported)
	}
}
