package quant

import (
	"testing"

	"github.com/lbrx/lbrx/core"
	"github.com/stretchr/testify/require"
)

// FuzzBlocks feeds arbitrary bytes and shapes to the ggml paths: they
// must answer with values or an error, never panic.
func FuzzBlocks(f *testing.F) {
	f.Add([]byte{0x00, 0x3c, 1, 2, 3}, uint8(0), uint8(1), uint8(1))
	f.Add(make([]byte, 36), uint8(1), uint8(2), uint8(1))
	f.Add(make([]byte, 80), uint8(2), uint8(2), uint8(2))
	f.Fuzz(func(t *testing.T, raw []byte, scheme, rows, blocks uint8) {
		s := []core.Scheme{core.SchemeQ8_0, core.SchemeQ4_0, core.SchemeQ4_1}[int(scheme)%3]
		shape := core.Shape{int(rows % 8), int(blocks%4) * 32}
		q, err := FromBlocks(raw, s, shape)
		if err != nil {
			return
		}
		if _, err := Dequantize(q); err != nil {
			t.Fatalf("dequantize of valid blocks: %v", err)
		}
		if _, err := BlocksToAffine(q, core.F32); err != nil {
			t.Fatalf("blocks to affine: %v", err)
		}
		x, err := core.Zeros[float32](2, shape[1])
		require.NoError(t, err)
		if _, err := MatMul(x.Array(), q); err != nil {
			t.Fatalf("matmul: %v", err)
		}
	})
}

// TestMalformedQuantizationIsAnError builds arrays whose metadata lies
// about their codes; every entry point reports it.
func TestMalformedQuantizationIsAnError(t *testing.T) {
	q, _ := quantizedFixture(t, 4, 64)
	good := q.Quant()
	f32, err := core.Zeros[float32](8, 4)
	require.NoError(t, err)
	i32, err := core.Zeros[int32](8, 4)
	require.NoError(t, err)
	short, err := core.Zeros[float32](3)
	require.NoError(t, err)
	cases := map[string]*core.QuantizationInfo{
		"bits":          {Scheme: core.SchemeAffine, Bits: 7, GroupSize: 64, Shape: good.Shape, Scales: good.Scales, Biases: good.Biases},
		"group":         {Scheme: core.SchemeAffine, Bits: 4, GroupSize: 48, Shape: good.Shape, Scales: good.Scales, Biases: good.Biases},
		"shape":         {Scheme: core.SchemeAffine, Bits: 4, GroupSize: 64, Shape: core.Shape{8, 1 << 30}, Scales: good.Scales, Biases: good.Biases},
		"no scales":     {Scheme: core.SchemeAffine, Bits: 4, GroupSize: 64, Shape: good.Shape, Biases: good.Biases},
		"no biases":     {Scheme: core.SchemeAffine, Bits: 4, GroupSize: 64, Shape: good.Shape, Scales: good.Scales},
		"short scales":  {Scheme: core.SchemeAffine, Bits: 4, GroupSize: 64, Shape: good.Shape, Scales: short.Array(), Biases: good.Biases},
		"int scales":    {Scheme: core.SchemeAffine, Bits: 4, GroupSize: 64, Shape: good.Shape, Scales: i32.Array(), Biases: f32.Array()},
		"scheme":        {Scheme: "nf4", Bits: 4, GroupSize: 64, Shape: good.Shape},
		"blocks on U32": {Scheme: core.SchemeQ4_0, Bits: 4, GroupSize: 32, Shape: good.Shape},
	}
	x, err := core.Zeros[float32](1, 256)
	require.NoError(t, err)
	for name, qi := range cases {
		bad, err := q.WithMetadata(core.Metadata{Quant: qi})
		require.NoError(t, err)
		_, err = Dequantize(bad)
		require.Error(t, err, name)
		_, err = DequantizeFloat32(bad)
		require.Error(t, err, name)
		_, err = MatMul(x.Array(), bad)
		require.Error(t, err, name)
		_, err = Prepare(bad)
		require.Error(t, err, name)
	}
}
