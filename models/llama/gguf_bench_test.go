package llama

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/core/gguf"
)

// sparseFile writes runs of zeros as holes, so a multi-GiB model file
// costs only its header on disk.
type sparseFile struct {
	f    *os.File
	size int64
}

func (s *sparseFile) Write(p []byte) (int, error) {
	if len(p) >= 4096 && bytes.Count(p, []byte{0}) == len(p) {
		if _, err := s.f.Seek(int64(len(p)), io.SeekCurrent); err != nil {
			return 0, err
		}
	} else if _, err := s.f.Write(p); err != nil {
		return 0, err
	}
	s.size += int64(len(p))
	return len(p), nil
}

// writeSparseModel writes a Llama 2 7B-shaped Q4_0 GGUF (hidden 4096,
// intermediate 11008, 32/32 heads, vocabulary 32000) with as many layers
// as reach minBytes; the weights are all zeros and stored as holes.
func writeSparseModel(tb testing.TB, minBytes int64) (path string, size int64) {
	tb.Helper()
	const h, inter, vocab = 4096, 11008, 32000
	q4 := func(rows, cols int) int64 { return int64(rows) * int64(cols) / 32 * 18 }
	perLayer := 4*q4(h, h) + 3*q4(inter, h) + 2*4*h
	layers := int((minBytes - 2*q4(vocab, h) + perLayer - 1) / perLayer)
	s := validSpec()
	u32 := func(k string, v int) gguf.KV { return gguf.KV{Key: k, Type: gguf.Uint32, Value: uint32(v)} }
	for _, kv := range []gguf.KV{
		u32("llama.embedding_length", h), u32("llama.block_count", layers), u32("llama.feed_forward_length", inter),
		u32("llama.rope.dimension_count", 128), u32("llama.attention.head_count", 32), u32("llama.attention.head_count_kv", 32),
		u32("llama.context_length", 4096), {Key: "llama.vocab_size", Type: gguf.Uint32, Value: uint32(vocab)},
	} {
		s.setKV(kv)
	}
	s.dropKV("tokenizer.ggml.tokens")
	w := gguf.NewWriter()
	for _, kv := range s.kvs {
		require.NoError(tb, w.Set(kv))
	}
	zeros := make([]byte, q4(vocab, h))
	add := func(name string, t gguf.Type, shape ...int) {
		n := core.Shape(shape).NumElements() / t.BlockSize() * t.BlockBytes()
		require.NoError(tb, w.AddTensor(name, t, core.Shape(shape), func() ([]byte, error) { return zeros[:n], nil }))
	}
	add("token_embd.weight", gguf.Q4_0, vocab, h)
	add("output_norm.weight", gguf.F32, h)
	add("output.weight", gguf.Q4_0, vocab, h)
	for i := range layers {
		p := "blk." + strconv.Itoa(i) + "."
		add(p+"attn_norm.weight", gguf.F32, h)
		for _, n := range []string{"attn_q", "attn_k", "attn_v", "attn_output"} {
			add(p+n+".weight", gguf.Q4_0, h, h)
		}
		add(p+"ffn_norm.weight", gguf.F32, h)
		add(p+"ffn_gate.weight", gguf.Q4_0, inter, h)
		add(p+"ffn_up.weight", gguf.Q4_0, inter, h)
		add(p+"ffn_down.weight", gguf.Q4_0, h, inter)
	}
	path = filepath.Join(tb.TempDir(), "sparse-7b-q4_0.gguf")
	f, err := os.Create(path)
	require.NoError(tb, err)
	sf := &sparseFile{f: f}
	_, err = w.WriteTo(sf)
	require.NoError(tb, err)
	require.NoError(tb, f.Truncate(sf.size))
	require.NoError(tb, f.Close())
	return path, sf.size
}

// rss returns the resident set size in bytes (Linux: /proc/self/statm),
// or -1 where the platform does not say.
func rss() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return -1
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return -1
	}
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return -1
	}
	return pages * int64(os.Getpagesize())
}

// TestGGUFLoadMapsWithoutReading loads a 4 GiB model: the resident set
// grows by far less than the file (the weights are mapped, not read).
func TestGGUFLoadMapsWithoutReading(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 4 GiB sparse file (header only on disk); skipped with -short")
	}
	if rss() < 0 {
		t.Skip("resident set size is read from /proc (Linux only)")
	}
	path, size := writeSparseModel(t, 4<<30)
	runtime.GC()
	before := rss()
	start := time.Now()
	m, err := LoadGGUF(path, Options{Device: core.CPU()})
	require.NoError(t, err)
	took := time.Since(start)
	grew := rss() - before
	t.Logf("loaded %.2f GiB (%d layers) in %v; RSS grew %.1f MiB", float64(size)/(1<<30), m.Config.NumLayers, took, float64(grew)/(1<<20))
	assert.GreaterOrEqual(t, size, int64(4<<30))
	assert.Less(t, grew, int64(64<<20), "loading must not read the weights")
	require.NoError(t, m.Close())
}

// BenchmarkLoadGGUF4GiB reports the time to load a 4 GiB Q4_0 model
// (header parsed, tensors mapped and checked, model built) and the RSS
// it adds.
func BenchmarkLoadGGUF4GiB(b *testing.B) {
	path, size := writeSparseModel(b, 4<<30)
	runtime.GC()
	before := rss()
	var grew int64
	for b.Loop() {
		m, err := LoadGGUF(path, Options{Device: core.CPU()})
		if err != nil {
			b.Fatal(err)
		}
		grew = max(grew, rss()-before)
		if err := m.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(size)/(1<<20), "file-MiB")
	if before >= 0 {
		b.ReportMetric(float64(grew)/(1<<20), "rss-MiB")
	}
}
