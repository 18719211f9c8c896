package gguf

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/lbrx/lbrx/core/testfiles"
)

// FuzzParse feeds arbitrary bytes to the header parser and, when a file
// parses, dequantizes every tensor it describes: no input may panic, hang
// or allocate beyond what its size justifies.
func FuzzParse(f *testing.F) {
	for _, p := range []string{"ggml_reference.gguf", "ggml_reference_align64.gguf", filepath.Join("llamacpp-example", "dummy.gguf")} {
		b, err := os.ReadFile(testfiles.Path(f, "gguf", p))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, b := range brokenFiles() {
		f.Add(b.data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := parse("fuzz.gguf", bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		for _, ti := range h.tensors {
			if ti.FileOffset < 0 || ti.Size < 0 || ti.FileOffset+ti.Size > int64(len(data)) {
				t.Fatalf("tensor %q: range [%d, +%d) outside the %d-byte input", ti.Name, ti.FileOffset, ti.Size, len(data))
			}
			if !Supported(ti.Type) || ti.NumElements > 1<<20 {
				continue
			}
			dst := make([]float32, ti.NumElements)
			if err := Dequantize(ti.Type, data[ti.FileOffset:ti.FileOffset+ti.Size], dst); err != nil {
				t.Fatalf("tensor %q: a validated tensor failed to dequantize: %v", ti.Name, err)
			}
		}
	})
}
