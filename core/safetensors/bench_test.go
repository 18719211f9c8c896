package safetensors

import (
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

// countingFile counts the bytes Open reads.
type countingFile struct {
	*os.File
	n *atomic.Int64
}

func (c countingFile) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.File.ReadAt(p, off)
	c.n.Add(int64(n))
	return n, err
}

// sparseModel writes a 4 GiB safetensors file of 1024 BF16 tensors
// (4 MiB each) whose data is a hole: only the header is on disk.
func sparseModel(b testing.TB) (path string, headerLen int64) {
	const n, rows, cols = 1024, 1024, 2048 // 1024 x 4 MiB = 4 GiB
	es := make([]hdrEntry, n)
	for i := range es {
		es[i] = hdrEntry{fmt.Sprintf("model.layers.%04d.weight", i), "BF16", []int{rows, cols}, rows * cols * 2}
	}
	hdr, err := buildHeader(es, map[string]string{"format": "pt"})
	require.NoError(b, err)
	path = filepath.Join(b.TempDir(), "sparse.safetensors")
	f, err := os.Create(path)
	require.NoError(b, err)
	_, err = f.Write(hdr)
	require.NoError(b, err)
	require.NoError(b, f.Truncate(int64(len(hdr))+n*rows*cols*2))
	require.NoError(b, f.Close())
	return path, int64(len(hdr))
}

// BenchmarkOpenSparse4GiB opens a sparse 4 GiB file and lists its tensors.
// It reports the bytes Open read: the header only, no tensor data.
func BenchmarkOpenSparse4GiB(b *testing.B) {
	path, hdrLen := sparseModel(b)
	var read atomic.Int64
	old := openFile
	openFile = func(p string) (readerAtFile, error) {
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		return countingFile{f, &read}, nil
	}
	defer func() { openFile = old }()
	st, err := os.Stat(path)
	require.NoError(b, err)
	require.Equal(b, int64(4<<30)+hdrLen, st.Size())
	b.ResetTimer()
	for b.Loop() {
		f, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		names := f.Names()
		for _, n := range names {
			if _, ok := f.Info(n); !ok {
				b.Fatal(n)
			}
		}
		if len(names) != 1024 {
			b.Fatal(len(names))
		}
		_ = f.Close()
	}
	b.StopTimer()
	perOp := float64(read.Load()) / float64(b.N)
	b.ReportMetric(perOp, "bytes-read/op")
	b.ReportMetric(float64(hdrLen), "header-bytes")
	if int64(perOp) != hdrLen {
		b.Fatalf("Open read %.0f bytes per call, want exactly the %d header bytes", perOp, hdrLen)
	}
}
