package safetensors_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/core/safetensors"
)

// Write a file, open it again (only the header is read), and load a tensor
// as a view of the mapped file.
func Example() {
	dir, err := os.MkdirTemp("", "st")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "model.safetensors")

	w := safetensors.NewWriter()
	weight, _ := core.FromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	bias, _ := core.FromSlice([]core.BFloat16{core.BFloat16FromFloat32(0.5)}, 1)
	if err := w.Add("layer.weight", weight.Array()); err != nil {
		fmt.Println(err)
		return
	}
	if err := w.Add("layer.bias", bias.Array()); err != nil {
		fmt.Println(err)
		return
	}
	w.SetMetadata(map[string]string{"format": "pt"})
	if err := w.WriteFile(path); err != nil {
		fmt.Println(err)
		return
	}

	f, err := safetensors.Open(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	for _, name := range f.Names() {
		info, _ := f.Info(name)
		fmt.Println(name, info.DType, info.Shape, "at byte", info.Offset)
	}
	t, err := safetensors.Tensor[float32](f, "layer.weight")
	if err != nil {
		fmt.Println(err)
		return
	}
	row, _ := t.Index(0, 1)
	v, _ := row.Values()
	fmt.Println(v, f.Metadata()["format"])
	// Output:
	// layer.bias BF16 [1] at byte 200
	// layer.weight F32 [2 3] at byte 176
	// [4 5 6] pt
}
