package core_test

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/lbrx/lbrx/core"
)

// OpenFileSource maps a file (or reads it with pread where mapping is not
// available); Array views a tensor's bytes in place when they are aligned.
func ExampleOpenFileSource() {
	dir, err := os.MkdirTemp("", "src")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "weights.bin")
	var b []byte
	for _, v := range []float32{1.5, -2, 3, 0.25} {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		fmt.Println(err)
		return
	}

	src, err := core.OpenFileSource(path, core.LoadAuto)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer src.Close()
	a, err := src.Array(core.F32, core.Shape{2, 2}, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	t, _ := core.As[float32](a)
	v, _ := t.Values()
	fmt.Println(t.Shape(), v)
	// Output: [2 2] [1.5 -2 3 0.25]
}
