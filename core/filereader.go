package core

import (
	"fmt"
	"io"
	"os"
)

// FileReader reads tensors from a file with positioned reads (pread) into
// fresh heap storage, for files that should not be mapped (network file
// systems, files that may change underneath, platforms without mmap). Its
// methods are safe for concurrent use: each read names its own offset, so
// many goroutines can load different tensors at once.
type FileReader struct {
	f    *os.File
	size int64
}

// OpenFileReader opens path for positioned reads.
func OpenFileReader(path string) (*FileReader, error) {
	f, err := os.Open(path) //nolint:gosec // opening the caller's model file is the point
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	return &FileReader{f: f, size: st.Size()}, nil
}

// Path returns the file's path.
func (r *FileReader) Path() string { return r.f.Name() }

// Size returns the file size in bytes.
func (r *FileReader) Size() int64 { return r.size }

// ReadAt implements io.ReaderAt.
func (r *FileReader) ReadAt(p []byte, off int64) (int, error) { return r.f.ReadAt(p, off) }

// ReadBytes returns a new copy of n bytes at off.
func (r *FileReader) ReadBytes(off, n int64) ([]byte, error) {
	if err := checkRange(r.Path(), r.size, off, n); err != nil {
		return nil, err
	}
	b := make([]byte, n)
	if _, err := r.f.ReadAt(b, off); err != nil {
		return nil, fmt.Errorf("read %d bytes at %d of %s: %w", n, off, r.Path(), err)
	}
	return b, nil
}

// Array reads the tensor of dtype and shape stored at byte offset off into
// new 64-byte aligned heap storage.
func (r *FileReader) Array(dtype DType, shape Shape, off int64) (*Array, error) {
	n, err := tensorBytes(dtype, shape)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.Path(), err)
	}
	if err := checkRange(r.Path(), r.size, off, int64(n)); err != nil {
		return nil, err
	}
	h := NewHeap(n)
	if _, err := r.f.ReadAt(h.Bytes(), off); err != nil && (err != io.EOF || n != 0) {
		return nil, fmt.Errorf("read %d bytes at %d of %s: %w", n, off, r.Path(), err)
	}
	return NewArray(dtype, shape, h, 0)
}

// Close closes the file. Arrays already read stay valid: they own their
// memory.
func (r *FileReader) Close() error { return r.f.Close() }
