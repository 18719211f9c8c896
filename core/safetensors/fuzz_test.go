package safetensors

import (
	"bytes"
	"os"
	"testing"

	"github.com/lbrx/lbrx/core/testfiles"
)

// FuzzReadHeader feeds arbitrary bytes to the header reader and checks
// what it accepts: every tensor lies inside the input, the tensors tile
// the data buffer exactly, and sizes match shapes.
func FuzzReadHeader(f *testing.F) {
	for _, p := range [][]string{
		{"safetensors", "dtypes.safetensors"},
		{"safetensors", "tiny-llama-bf16", "model.safetensors"},
	} {
		b, err := os.ReadFile(testfiles.Path(f, p...))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, b := range brokenFiles() {
		f.Add(b.data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := readHeader("fuzz.safetensors", bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		next := h.dataStart
		for _, ti := range h.infos {
			if ti.Offset != next || ti.Size < 0 || ti.Offset+ti.Size > int64(len(data)) {
				t.Fatalf("tensor %q: range [%d, +%d) is not contiguous inside the %d-byte input", ti.Name, ti.Offset, ti.Size, len(data))
			}
			if ti.Type.Valid() && int64(ti.Shape.NumElements()*ti.Type.Size()) != ti.Size {
				t.Fatalf("tensor %q: %v%v does not take %d bytes", ti.Name, ti.Type, ti.Shape, ti.Size)
			}
			next += ti.Size
		}
		if next != int64(len(data)) {
			t.Fatalf("accepted a file with %d trailing bytes", int64(len(data))-next)
		}
	})
}
