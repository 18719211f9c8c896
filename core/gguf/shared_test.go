package gguf

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"runtime"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/core/testfiles"
)

// TestSharedFiles opens both ggml-written files and checks the header
// (version, alignment, data offset, every key's type and value, every
// tensor's type, ne, shape, offsets, size, SHA-256 of its bytes) and every
// tensor's values, bit for bit, against the manifest and ref/*.f32.
func TestSharedFiles(t *testing.T) {
	m := loadManifest(t)
	for _, mf := range m.Files {
		for _, mode := range []core.LoadMode{core.LoadAuto, core.LoadReadAt} {
			f, err := Open(testfiles.Path(t, "gguf", mf.File), WithLoadMode(mode))
			require.NoError(t, err, mf.File)
			assert.Equal(t, mf.Version, f.Version())
			assert.Equal(t, mf.Alignment, f.Alignment())
			assert.Equal(t, mf.DataOffset, f.DataOffset())
			require.Len(t, f.KVs(), mf.NKV)
			for i, want := range mf.Metadata {
				kv := f.KVs()[i]
				assert.Equal(t, want.Key, kv.Key)
				assert.Equal(t, want.TypeID, uint32(kv.Type), want.Key)
				checkValue(t, kv, want.Value, want.Bits)
			}
			require.Len(t, f.Tensors(), mf.NTensors)
			for i, rt := range mf.Tensors {
				ti := f.Tensors()[i]
				assert.Equal(t, rt.Name, ti.Name)
				assert.Equal(t, Type(rt.TypeID), ti.Type, rt.Name)
				assert.Equal(t, rt.Ne[:rt.NDims], ti.Ne, rt.Name)
				shape := make(core.Shape, rt.NDims)
				for j := range shape {
					shape[j] = int(rt.Ne[rt.NDims-1-j])
				}
				assert.Equal(t, shape, ti.Shape, rt.Name)
				assert.Equal(t, rt.Offset, ti.Offset, rt.Name)
				assert.Equal(t, rt.AbsOffset, ti.FileOffset, rt.Name)
				assert.Equal(t, rt.NBytes, ti.Size, rt.Name)
				assert.Equal(t, rt.NElements, ti.NumElements, rt.Name)
				b, err := f.Bytes(rt.Name)
				require.NoError(t, err)
				sum := sha256.Sum256(b)
				assert.Equal(t, rt.SHA256, hex.EncodeToString(sum[:]), rt.Name)

				want := readF32(t, testfiles.Path(t, "gguf", "ref", rt.Ref))
				x, err := f.Float32(rt.Name)
				require.NoError(t, err, rt.Name)
				assert.Equal(t, shape, x.Shape())
				got, err := x.Values()
				require.NoError(t, err)
				requireBits(t, want, got, mf.File+":"+rt.Name)
				checkArray(t, f, ti, want)
			}
			require.NoError(t, f.Close())
		}
	}
}

// checkArray loads the tensor through Array and checks it against the
// reference values: plain types converted element by element, the block
// types through their blocks.
func checkArray(t *testing.T, f *File, ti TensorInfo, want []uint32) {
	t.Helper()
	a, err := f.Array(ti.Name)
	if _, plain := plainTypes[ti.Type]; !plain {
		if _, blocks := blockSchemes[ti.Type]; !blocks {
			require.Error(t, err, ti.Name)
			assert.Contains(t, err.Error(), ti.Type.String())
			return
		}
	}
	require.NoError(t, err, ti.Name)
	assert.Equal(t, ti.Name, a.Name())
	b, err := a.Bytes()
	require.NoError(t, err)
	if q := a.Quant(); q != nil {
		assert.Equal(t, ti.Shape, q.Shape)
		assert.Equal(t, ti.Type.BlockSize(), q.GroupSize)
		assert.Equal(t, core.U8, a.DType())
		got := make([]float32, ti.NumElements)
		require.NoError(t, Dequantize(ti.Type, b, got))
		requireBits(t, want, got, ti.Name+" blocks")
		return
	}
	assert.Equal(t, ti.Shape, a.Shape(), ti.Name)
	got := make([]float32, ti.NumElements)
	require.NoError(t, Dequantize(ti.Type, b, got))
	requireBits(t, want, got, ti.Name+" array")
}

// checkValue compares a metadata value with the manifest's JSON (floats
// by their bit patterns where the manifest gives them).
func checkValue(t *testing.T, kv KV, raw, bits json.RawMessage) {
	t.Helper()
	var wantBits []string
	if len(bits) > 0 {
		var one string
		if json.Unmarshal(bits, &one) == nil {
			wantBits = []string{one}
		} else {
			require.NoError(t, json.Unmarshal(bits, &wantBits))
		}
	}
	switch v := kv.Value.(type) {
	case float32:
		assert.Equal(t, wantBits[0], fmt.Sprintf("0x%08x", math.Float32bits(v)), kv.Key)
	case float64:
		assert.Equal(t, wantBits[0], fmt.Sprintf("0x%016x", math.Float64bits(v)), kv.Key)
	case []float32:
		got := make([]string, len(v))
		for i, x := range v {
			got[i] = fmt.Sprintf("0x%08x", math.Float32bits(x))
		}
		assert.Equal(t, wantBits, got, kv.Key)
	case []float64:
		got := make([]string, len(v))
		for i, x := range v {
			got[i] = fmt.Sprintf("0x%016x", math.Float64bits(x))
		}
		assert.Equal(t, wantBits, got, kv.Key)
	default:
		// Integers, bools and strings: compare as JSON.
		gotJS, err := json.Marshal(v)
		require.NoError(t, err)
		var a, b any
		dec := func(js []byte, out *any) {
			d := json.NewDecoder(bytesReader(js))
			d.UseNumber()
			require.NoError(t, d.Decode(out))
		}
		dec(gotJS, &a)
		dec(raw, &b)
		if s, ok := v.([]uint8); ok { // json.Marshal writes []byte as base64
			nums := make([]any, len(s))
			for i, x := range s {
				nums[i] = json.Number(itoa(int(x)))
			}
			a = nums
		}
		assert.Equal(t, b, a, kv.Key)
	}
}

func TestLlamaCppExample(t *testing.T) {
	f, err := Open(testfiles.Path(t, "gguf", "llamacpp-example", "dummy.gguf"))
	require.NoError(t, err)
	defer f.Close()
	assert.Equal(t, uint32(3), f.Version())
	assert.Equal(t, int64(1216), f.DataOffset())
	assert.Len(t, f.KVs(), 15)
	names := f.Names()
	require.Len(t, names, 10)
	assert.True(t, slices.IsSorted(names))
	t0, ok := f.Info("tensor_0")
	require.True(t, ok)
	assert.Equal(t, []int64{7, 8, 6, 4}, t0.Ne)
	assert.Equal(t, core.Shape{4, 6, 8, 7}, t0.Shape)
	for _, ti := range f.Tensors() {
		assert.Equal(t, F32, ti.Type)
		assert.Zero(t, ti.Offset%32, ti.Name)
		x, err := Tensor[float32](f, ti.Name)
		require.NoError(t, err)
		if runtime.GOOS == "linux" || runtime.GOOS == "darwin" {
			_, mapped := x.Array().Storage().(*core.Mapped)
			assert.True(t, mapped, "%s: an aligned F32 tensor is a view of the mapped file", ti.Name)
		}
		v, err := x.Values()
		require.NoError(t, err)
		assert.Len(t, v, int(ti.NumElements))
	}
}
