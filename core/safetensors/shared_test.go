package safetensors

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/x448/float16"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/core/testfiles"
)

func values[T core.Element](t *testing.T, f *File, name string) []T {
	t.Helper()
	x, err := Tensor[T](f, name)
	require.NoError(t, err)
	v, err := x.Values()
	require.NoError(t, err)
	return v
}

// TestSharedDTypes checks every tensor of the file written by the Python
// safetensors library against the values its README states.
func TestSharedDTypes(t *testing.T) {
	for _, mode := range []core.LoadMode{core.LoadAuto, core.LoadReadAt} {
		f, err := Open(testfiles.Path(t, "safetensors", "dtypes.safetensors"), WithLoadMode(mode))
		require.NoError(t, err)
		assert.Equal(t, map[string]string{"format": "pt", "producer": "safetensors-python"}, f.Metadata())
		assert.Equal(t, []string{"bf16", "bool", "empty", "f16", "f32", "f64", "f8_e4m3", "f8_e5m2", "i16", "i32", "i64", "i8", "scalar", "u8"}, f.Names())

		f64 := values[float64](t, f, "f64")
		for i, v := range f64 {
			assert.Equal(t, float64(i)*0.25, v)
		}
		f32 := values[float32](t, f, "f32")
		require.Len(t, f32, 24)
		for i, v := range f32 {
			assert.Equal(t, float32(i)*0.5-3, v)
		}
		for i, v := range values[core.Float16](t, f, "f16") {
			assert.Equal(t, float16.Fromfloat32(float32(float64(i)*0.1-0.5)).Bits(), v.Bits(), "f16[%d]", i)
		}
		for i, v := range values[core.BFloat16](t, f, "bf16") {
			assert.Equal(t, core.BFloat16FromFloat32(float32(float64(i)*0.1-0.5)), v, "bf16[%d]", i)
		}
		for i, v := range values[int64](t, f, "i64") {
			assert.Equal(t, int64(i)*-1_000_000_000_000, v)
		}
		for i, v := range values[int32](t, f, "i32") {
			assert.Equal(t, int32(i-3), v)
		}
		for i, v := range values[int16](t, f, "i16") {
			assert.Equal(t, int16(i*1000), v)
		}
		assert.Equal(t, []int8{-4, -3, -2, -1, 0, 1, 2, 3}, values[int8](t, f, "i8"))
		assert.Equal(t, []uint8{250, 251, 252, 253, 254, 255}, values[uint8](t, f, "u8"))
		assert.Equal(t, []bool{true, false, true}, values[bool](t, f, "bool"))
		assert.Equal(t, []float32{3.5}, values[float32](t, f, "scalar"))
		sc, _ := f.Info("scalar")
		assert.Empty(t, sc.Shape)
		e, err := f.Array("empty")
		require.NoError(t, err)
		assert.Equal(t, core.Shape{0, 4}, e.Shape())
		assert.Equal(t, "empty", e.Name())

		// FP8 is listed but cannot become an Array; its bytes are readable.
		for _, n := range []string{"f8_e4m3", "f8_e5m2"} {
			info, ok := f.Info(n)
			require.True(t, ok)
			assert.Equal(t, core.Invalid, info.Type)
			_, err := f.Array(n)
			require.Error(t, err)
			assert.Contains(t, err.Error(), info.DType)
			b, err := f.Bytes(n)
			require.NoError(t, err)
			require.Len(t, b, 8)
			for i, x := range b {
				assert.Equal(t, float32(i)*0.5, fp8(x, info.DType == "F8_E4M3"), "%s[%d]", n, i)
			}
		}
		require.NoError(t, f.Close())
	}
}

// fp8 decodes an float8_e4m3fn or float8_e5m2 value (for the check above;
// lbrx has no FP8 type).
func fp8(b byte, e4m3 bool) float32 {
	mbits, bias := 2, 15
	if e4m3 {
		mbits, bias = 3, 7
	}
	exp := int(b>>mbits) & (1<<(7-mbits) - 1)
	man := float64(int(b) & (1<<mbits - 1))
	if exp == 0 {
		return float32(math.Ldexp(man, 1-bias-mbits))
	}
	return float32(math.Ldexp(1+man/float64(int(1)<<mbits), exp-bias))
}

// TestSharedTinyLlama loads every tensor of both tiny-llama checkpoints and
// checks that the bf16 one is, tensor for tensor, the f32 one rounded to
// nearest even.
func TestSharedTinyLlama(t *testing.T) {
	f32, err := Open(testfiles.Path(t, "safetensors", "tiny-llama"))
	require.NoError(t, err)
	defer f32.Close()
	b16, err := Open(testfiles.Path(t, "safetensors", "tiny-llama-bf16", "model.safetensors"))
	require.NoError(t, err)
	defer b16.Close()
	require.Equal(t, f32.Names(), b16.Names())
	require.NotEmpty(t, f32.Names())
	for _, n := range f32.Names() {
		a := values[float32](t, f32, n)
		b := values[core.BFloat16](t, b16, n)
		require.Len(t, b, len(a), n)
		for i := range a {
			if core.BFloat16FromFloat32(a[i]) != b[i] {
				t.Fatalf("%s[%d]: bf16 %#x, f32 %v rounds to %#x", n, i, b[i], a[i], core.BFloat16FromFloat32(a[i]))
			}
		}
		ia, _ := f32.Info(n)
		ib, _ := b16.Info(n)
		assert.Equal(t, ia.Shape, ib.Shape, n)
	}
	emb, ok := f32.Info("model.embed_tokens.weight")
	require.True(t, ok)
	assert.Equal(t, core.Shape{256, 64}, emb.Shape)
}
