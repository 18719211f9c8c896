package safetensors

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/core/testfiles"
)

// patterned returns an array of dtype d and the given shape whose bytes are
// a position-dependent pattern covering every bit position.
func patterned(t *testing.T, d core.DType, shape ...int) *core.Array {
	t.Helper()
	a, err := core.Empty(core.CPU(), d, core.Shape(shape))
	require.NoError(t, err)
	b := a.Storage().(core.HostStorage).Bytes()
	for i := range b {
		b[i] = byte(i*37 + int(d)*11 + 1)
	}
	if d == core.Bool {
		for i := range b {
			b[i] &= 1
		}
	}
	return a
}

func TestRoundTripEveryDType(t *testing.T) {
	w := NewWriter()
	want := map[string][]byte{}
	for i, d := range core.DTypes {
		shape := []int{3, i + 1}
		a := patterned(t, d, shape...)
		name := "t_" + d.String()
		require.NoError(t, w.Add(name, a))
		b, err := a.Bytes()
		require.NoError(t, err)
		want[name] = bytes.Clone(b)
	}
	// Specials: NaN payloads, infinities, signed zero survive bit for bit.
	sp, err := core.FromSlice([]float32{float32(math.NaN()), math.Float32frombits(0x7fc00001), float32(math.Inf(-1)), float32(math.Copysign(0, -1)), math.Float32frombits(1)}, 5)
	require.NoError(t, err)
	require.NoError(t, w.Add("specials", sp.Array()))
	spb, _ := sp.Array().Bytes()
	want["specials"] = bytes.Clone(spb)
	// A transposed (strided) view is written in row-major order.
	base := patterned(t, core.F32, 2, 3)
	tr, err := base.T()
	require.NoError(t, err)
	require.NoError(t, w.Add("transposed", tr))
	trc, err := tr.Contiguous()
	require.NoError(t, err)
	trb, _ := trc.Bytes()
	want["transposed"] = bytes.Clone(trb)
	// Scalars and empty tensors.
	require.NoError(t, w.Add("scalar", core.Scalar[int64](-7).Array()))
	want["scalar"] = binary.LittleEndian.AppendUint64(nil, uint64(0xfffffffffffffff9))
	e, err := core.Empty(core.CPU(), core.BF16, core.Shape{0, 5})
	require.NoError(t, err)
	require.NoError(t, w.Add("empty", e))
	want["empty"] = []byte{}
	w.SetMetadata(map[string]string{"format": "pt", "quote": "a\"b<c>"})

	dir := t.TempDir()
	p := filepath.Join(dir, "all.safetensors")
	require.NoError(t, w.WriteFile(p))
	raw, err := os.ReadFile(p)
	require.NoError(t, err)
	n := binary.LittleEndian.Uint64(raw)
	assert.Zero(t, n%8, "header padded to 8 bytes")
	assert.Equal(t, byte(' '), raw[8+n-1], "padding is spaces")

	for _, mode := range []core.LoadMode{core.LoadAuto, core.LoadReadAt} {
		f, err := Open(p, WithLoadMode(mode))
		require.NoError(t, err)
		assert.Equal(t, map[string]string{"format": "pt", "quote": "a\"b<c>"}, f.Metadata())
		require.Len(t, f.Names(), len(want))
		for name, wb := range want {
			a, err := f.Array(name)
			require.NoError(t, err, name)
			got, err := a.Bytes()
			require.NoError(t, err)
			assert.Equal(t, wb, got, name)
		}
		info, _ := f.Info("transposed")
		assert.Equal(t, core.Shape{3, 2}, info.Shape)
		require.NoError(t, f.Close())
	}
}

// TestWriterOrder checks the reference writer's order (largest alignment
// first, then name) by rewriting the Python-written file: the result must
// be byte-identical apart from the F8 tensors lbrx cannot hold.
func TestWriterOrder(t *testing.T) {
	src, err := Open(testfiles.Path(t, "safetensors", "tiny-llama", "model.safetensors"))
	require.NoError(t, err)
	defer src.Close()
	w := NewWriter()
	for _, n := range src.Names() {
		a, err := src.Array(n)
		require.NoError(t, err)
		require.NoError(t, w.Add(n, a))
	}
	w.SetMetadata(src.Metadata())
	p := filepath.Join(t.TempDir(), "m.safetensors")
	require.NoError(t, w.WriteFile(p))
	got, err := os.ReadFile(p)
	require.NoError(t, err)
	orig, err := os.ReadFile(testfiles.Path(t, "safetensors", "tiny-llama", "model.safetensors"))
	require.NoError(t, err)
	// Same data section, in the same order.
	gn := binary.LittleEndian.Uint64(got)
	on := binary.LittleEndian.Uint64(orig)
	assert.Equal(t, orig[8+on:], got[8+gn:])

	mixed := NewWriter()
	for _, n := range []string{"b", "a", "c"} {
		require.NoError(t, mixed.Add(n+"8", patterned(t, core.I8, 2)))
	}
}

func TestWriterSortsByAlignmentThenName(t *testing.T) {
	w := NewWriter()
	for _, x := range []struct {
		name string
		d    core.DType
	}{{"z", core.U8}, {"a", core.Bool}, {"m", core.F64}, {"b", core.I64}, {"c", core.BF16}, {"d", core.F16}, {"e", core.F32}, {"f", core.I32}, {"g", core.I16}, {"h", core.I8}, {"i", core.U32}} {
		require.NoError(t, w.Add(x.name, patterned(t, x.d, 1)))
	}
	var order []string
	for _, e := range w.sorted() {
		order = append(order, e.name)
	}
	// Reference enum order: BOOL U8 I8 I16 F16 BF16 I32 U32 F32 F64 I64.
	assert.Equal(t, []string{"b", "m", "e", "i", "f", "c", "d", "g", "h", "z", "a"}, order)
}

func TestWriterRejects(t *testing.T) {
	w := NewWriter()
	a := patterned(t, core.F32, 2)
	require.NoError(t, w.Add("x", a))
	require.ErrorContains(t, w.Add("x", a), "twice")
	require.ErrorContains(t, w.Add("__metadata__", a), "reserved")
	require.ErrorContains(t, w.Add("", a), "empty")
	assert.ErrorContains(t, w.Add("n", nil), "nil")
}

func TestWriteSharded(t *testing.T) {
	w := NewWriter()
	want := map[string][]byte{}
	for i := range 7 {
		a := patterned(t, core.F32, 10, i+1) // 40*(i+1) bytes
		name := string(rune('a'+i)) + ".weight"
		require.NoError(t, w.Add(name, a))
		b, _ := a.Bytes()
		want[name] = bytes.Clone(b)
	}
	w.SetMetadata(map[string]string{"format": "pt"})
	dir := t.TempDir()
	require.NoError(t, w.WriteSharded(dir, 300))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.Contains(t, names, IndexName)
	assert.Contains(t, names, "model-00001-of-00005.safetensors")
	assert.Contains(t, names, "model-00005-of-00005.safetensors")
	assert.Len(t, names, 6) // [a b c] [d] [e] [f] [g] + index
	f, err := Open(dir)
	require.NoError(t, err)
	defer f.Close()
	assert.Len(t, f.Shards(), 5)
	assert.Equal(t, "pt", f.Metadata()["format"])
	assert.Equal(t, "1120", f.Metadata()["total_size"])
	for n, wb := range want {
		a, err := f.Array(n)
		require.NoError(t, err)
		got, _ := a.Bytes()
		assert.Equal(t, wb, got, n)
	}
}

// TestWriterStreams writes a 32 MiB tensor and checks that writing it
// allocates far less than its size: the bytes go from the tensor's
// storage to the file without a second copy of the model.
func TestWriterStreams(t *testing.T) {
	big, err := core.Empty(core.CPU(), core.F32, core.Shape{8 << 20})
	require.NoError(t, err)
	w := NewWriter()
	require.NoError(t, w.Add("big", big))
	p := filepath.Join(t.TempDir(), "big.safetensors")
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	require.NoError(t, w.WriteFile(p))
	runtime.ReadMemStats(&after)
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(4<<20), "bytes allocated while writing 32 MiB")
	st, err := os.Stat(p)
	require.NoError(t, err)
	assert.Equal(t, int64(32<<20), st.Size()-int64(8+binary.LittleEndian.Uint64(mustRead(t, p, 8))))
}

func mustRead(t *testing.T, p string, n int) []byte {
	t.Helper()
	f, err := os.Open(p)
	require.NoError(t, err)
	defer f.Close()
	b := make([]byte, n)
	_, err = f.Read(b)
	require.NoError(t, err)
	return b
}
