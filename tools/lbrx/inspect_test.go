package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core/testfiles"
)

func runCmd(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

func TestInspectGGUF(t *testing.T) {
	code, out, errs := runCmd("inspect", testfiles.Path(t, "gguf", "ggml_reference.gguf"))
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "GGUF v3, alignment 32, data at byte 2080")
	assert.Contains(t, out, "tensors: 28")
	assert.Contains(t, out, "test.string")
	assert.Regexp(t, `q4_k\s+Q4_K\s+\[2 256\]\s+5728\s+288`, out)
	assert.Regexp(t, `test\.arr_str\s+arr\[str\]`, out)

	code, out, errs = runCmd("inspect", "--json", testfiles.Path(t, "gguf", "ggml_reference.gguf"))
	require.Equal(t, 0, code, errs)
	var info modelInfo
	require.NoError(t, json.Unmarshal([]byte(out), &info))
	assert.Equal(t, "gguf", info.Format)
	require.Len(t, info.Tensors, 28)
	assert.Equal(t, tensorInfo{Name: "f32_2d", DType: "F32", Shape: []int{3, 64}, Ne: []int64{64, 3}, Offset: 2080, Size: 768}, info.Tensors[0])
	assert.Len(t, info.Metadata, 21)
}

func TestInspectSafetensors(t *testing.T) {
	code, out, errs := runCmd("inspect", testfiles.Path(t, "safetensors", "dtypes.safetensors"))
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, `producer  str  "safetensors-python"`)
	assert.Regexp(t, `f8_e4m3\s+F8_E4M3\s+\[8\]`, out)
	assert.Regexp(t, `scalar\s+F32\s+\[\]\s+1104\s+4`, out)

	code, out, errs = runCmd("inspect", "--json", testfiles.Path(t, "safetensors", "tiny-llama"))
	require.Equal(t, 0, code, errs)
	var info modelInfo
	require.NoError(t, json.Unmarshal([]byte(out), &info))
	assert.Equal(t, "safetensors", info.Format)
	assert.Len(t, info.Tensors, 21)
	for i := 1; i < len(info.Tensors); i++ {
		prev := info.Tensors[i-1]
		assert.Equal(t, prev.Offset+prev.Size, info.Tensors[i].Offset, "tensors listed in data order")
	}
}

func TestInspectBadFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "bad.gguf")
	b := append([]byte("GGUF"), binary.LittleEndian.AppendUint32(nil, 3)...)
	b = binary.LittleEndian.AppendUint64(b, 1<<62)
	b = binary.LittleEndian.AppendUint64(b, 0)
	require.NoError(t, os.WriteFile(p, b, 0o644))
	code, out, errs := runCmd("inspect", p)
	assert.Equal(t, 1, code)
	assert.Empty(t, out)
	assert.Equal(t, 1, strings.Count(errs, "\n"), errs)
	assert.Contains(t, errs, p)
	assert.Contains(t, errs, "tensor count")

	st := filepath.Join(t.TempDir(), "bad.safetensors")
	require.NoError(t, os.WriteFile(st, []byte{1, 2, 3}, 0o644))
	code, _, errs = runCmd("inspect", "--json", st)
	assert.Equal(t, 1, code)
	assert.Equal(t, 1, strings.Count(errs, "\n"), errs)
	assert.Contains(t, errs, st+" is not a safetensors file")

	code, _, _ = runCmd("inspect")
	assert.Equal(t, 2, code)
	code, _, _ = runCmd("inspect", "--yaml", st)
	assert.Equal(t, 2, code)
}

func floats(t *testing.T, b []byte) []uint32 {
	t.Helper()
	require.Zero(t, len(b)%4)
	out := make([]uint32, len(b)/4)
	for i := range out {
		out[i] = binary.LittleEndian.Uint32(b[4*i:])
	}
	return out
}

// TestDumpGGUF: dump's output is ggml's own dequantization, byte for byte.
func TestDumpGGUF(t *testing.T) {
	for _, name := range []string{"q4_k", "q6_k", "f16_special", "q8_0_3d", "i64_1d"} {
		code, out, errs := runCmd("dump", testfiles.Path(t, "gguf", "ggml_reference.gguf"), name)
		require.Equal(t, 0, code, errs)
		want, err := os.ReadFile(testfiles.Path(t, "gguf", "ref", name+".f32"))
		require.NoError(t, err)
		assert.Equal(t, want, []byte(out), name)
	}
}

func TestDumpSafetensors(t *testing.T) {
	code, out, errs := runCmd("dump", testfiles.Path(t, "safetensors", "dtypes.safetensors"), "f32")
	require.Equal(t, 0, code, errs)
	got := floats(t, []byte(out))
	require.Len(t, got, 24)
	for i, v := range got {
		assert.Equal(t, float32(i)*0.5-3, math.Float32frombits(v))
	}
	code, out, errs = runCmd("dump", testfiles.Path(t, "safetensors", "dtypes.safetensors"), "i8")
	require.Equal(t, 0, code, errs)
	assert.Equal(t, math.Float32bits(-4), floats(t, []byte(out))[0])

	code, out, errs = runCmd("dump", testfiles.Path(t, "safetensors", "dtypes.safetensors"), "f8_e4m3")
	require.Equal(t, 0, code, errs)
	for i, v := range floats(t, []byte(out)) {
		assert.Equal(t, float32(i)*0.5, math.Float32frombits(v))
	}
	code, _, errs = runCmd("dump", testfiles.Path(t, "safetensors", "dtypes.safetensors"), "nope")
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, `no tensor "nope"`)
	code, _, _ = runCmd("dump", "x")
	assert.Equal(t, 2, code)
}
