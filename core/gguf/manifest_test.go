package gguf

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core/testfiles"
)

// manifest is ref/manifest.json, written with the reference files by a
// program built on ggml itself.
type manifest struct {
	Files []struct {
		File       string `json:"file"`
		Size       int64  `json:"size"`
		Version    uint32 `json:"version"`
		Alignment  int64  `json:"alignment"`
		DataOffset int64  `json:"data_offset"`
		NKV        int    `json:"n_kv"`
		NTensors   int    `json:"n_tensors"`
		Metadata   []struct {
			Key       string          `json:"key"`
			Type      string          `json:"type"`
			TypeID    uint32          `json:"type_id"`
			ArrayType string          `json:"array_type"`
			Value     json.RawMessage `json:"value"`
			Bits      json.RawMessage `json:"bits"`
		} `json:"metadata"`
		Tensors []refTensor `json:"tensors"`
	} `json:"files"`
}

type refTensor struct {
	Name      string  `json:"name"`
	TypeID    uint32  `json:"type_id"`
	NDims     int     `json:"n_dims"`
	Ne        []int64 `json:"ne"`
	NElements int64   `json:"n_elements"`
	Offset    int64   `json:"offset"`
	AbsOffset int64   `json:"abs_offset"`
	NBytes    int64   `json:"nbytes"`
	SHA256    string  `json:"sha256"`
	Ref       string  `json:"ref"`
	Bin       string  `json:"bin"`
}

func loadManifest(t *testing.T) *manifest {
	t.Helper()
	raw, err := os.ReadFile(testfiles.Path(t, "gguf", "ref", "manifest.json"))
	require.NoError(t, err)
	var m manifest
	require.NoError(t, json.Unmarshal(raw, &m))
	require.NotEmpty(t, m.Files)
	return &m
}

// readF32 reads a little-endian float32 reference file as raw bits.
func readF32(t *testing.T, path string) []uint32 {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Zero(t, len(raw)%4)
	out := make([]uint32, len(raw)/4)
	for i := range out {
		out[i] = binary.LittleEndian.Uint32(raw[4*i:])
	}
	return out
}

// requireBits compares float32 values bit for bit (NaN payloads, signed
// zeros and subnormals included).
func requireBits(t *testing.T, want []uint32, got []float32, what string) {
	t.Helper()
	require.Len(t, got, len(want), what)
	for i := range want {
		if math.Float32bits(got[i]) != want[i] {
			t.Fatalf("%s[%d]: got %#08x (%v), want %#08x (%v)", what, i, math.Float32bits(got[i]), got[i], want[i], math.Float32frombits(want[i]))
		}
	}
}

// TestDequantizeReferenceBlocks decodes every ref/<name>.bin with
// Dequantize and compares with ggml's to_float output bit for bit.
func TestDequantizeReferenceBlocks(t *testing.T) {
	m := loadManifest(t)
	dir := testfiles.Path(t, "gguf", "ref")
	n := 0
	for _, f := range m.Files {
		for _, rt := range f.Tensors {
			src, err := os.ReadFile(filepath.Join(dir, rt.Bin))
			require.NoError(t, err)
			dst := make([]float32, rt.NElements)
			require.NoError(t, Dequantize(Type(rt.TypeID), src, dst), rt.Name)
			requireBits(t, readF32(t, filepath.Join(dir, rt.Ref)), dst, rt.Name)
			n++
		}
	}
	require.Equal(t, 33, n)
}
