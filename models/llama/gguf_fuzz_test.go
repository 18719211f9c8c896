package llama

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/core/testfiles"
)

// FuzzLoadGGUF loads arbitrary bytes as a GGUF model and, when that
// works, runs a token through it: no input may panic.
func FuzzLoadGGUF(f *testing.F) {
	valid, err := os.ReadFile(validSpec().write(f))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	tiny, err := os.ReadFile(testfiles.Path(f, "gguf-models", "tiny-llama-q4_0.gguf"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(tiny)
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "f.gguf")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		m, err := LoadGGUF(path, Options{Device: core.CPU()})
		if err != nil {
			return
		}
		defer m.Close()
		_, _ = m.Forward([]int{0}, nil)
	})
}
