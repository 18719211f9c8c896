package safetensors

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/core/testfiles"
)

// TestFloat32SharedDTypes converts every tensor of the Python-written file,
// FP8 included, and checks the values the README states.
func TestFloat32SharedDTypes(t *testing.T) {
	f, err := Open(testfiles.Path(t, "safetensors", "dtypes.safetensors"))
	require.NoError(t, err)
	defer f.Close()
	get := func(n string) []float32 {
		x, err := f.Float32(n)
		require.NoError(t, err, n)
		info, _ := f.Info(n)
		assert.Equal(t, info.Shape, x.Shape())
		v, err := x.Values()
		require.NoError(t, err)
		return v
	}
	for _, n := range []string{"f8_e4m3", "f8_e5m2"} {
		for i, v := range get(n) {
			assert.Equal(t, float32(i)*0.5, v, "%s[%d]", n, i) // i*0.5 for i < 8 is exact in both
		}
	}
	for i, v := range get("f32") {
		assert.Equal(t, float32(i)*0.5-3, v)
	}
	for i, v := range get("i64") {
		assert.Equal(t, float32(int64(i)*-1_000_000_000_000), v)
	}
	assert.Equal(t, []float32{1, 0, 1}, get("bool"))
	assert.Equal(t, []float32{250, 251, 252, 253, 254, 255}, get("u8"))
	assert.Equal(t, []float32{3.5}, get("scalar"))
	assert.Empty(t, get("empty"))
	for i, v := range get("bf16") {
		assert.Equal(t, core.BFloat16FromFloat32(float32(float64(i)*0.1-0.5)).Float32(), v)
	}
}

// TestFP8Decoders checks every FP8 code against the formats' definitions.
func TestFP8Decoders(t *testing.T) {
	for x := range 256 {
		b := byte(x)
		// E4M3FN: the reference decoder above (fp8) for finite codes.
		if b&0x7f == 0x7f {
			assert.True(t, math.IsNaN(float64(e4m3(b))))
		} else {
			want := fp8(b&0x7f, true)
			if b&0x80 != 0 {
				want = -want
			}
			assert.Equal(t, math.Float32bits(want), math.Float32bits(e4m3(b)), "e4m3 %#x", b)
		}
		e := e5m2(b)
		switch exp := (b >> 2) & 0x1f; {
		case exp == 0x1f && b&3 == 0:
			assert.True(t, math.IsInf(float64(e), 0))
		case exp == 0x1f:
			assert.True(t, math.IsNaN(float64(e)))
		default:
			want := fp8(b&0x7f, false)
			if b&0x80 != 0 {
				want = -want
			}
			assert.Equal(t, math.Float32bits(want), math.Float32bits(e), "e5m2 %#x", b)
		}
		if b != 0xff {
			assert.Equal(t, float32(math.Ldexp(1, int(b)-127)), e8m0(b), "e8m0 %#x", b)
		}
	}
	assert.Equal(t, float32(448), e4m3(0x7e))
	assert.Equal(t, float32(57344), e5m2(0x7b))
	assert.True(t, math.IsNaN(float64(e8m0(0xff))))
}

func TestFloat32Unsupported(t *testing.T) {
	p := writeTemp(t, "f4.safetensors", build(`{"a":{"dtype":"F4","shape":[2],"data_offsets":[0,1]}}`, []byte{0x21}))
	f, err := Open(p)
	require.NoError(t, err)
	defer f.Close()
	_, err = f.Float32("a")
	require.ErrorContains(t, err, "F4")
}
