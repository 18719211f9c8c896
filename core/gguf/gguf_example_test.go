package gguf_test

import (
	"encoding/binary"
	"fmt"

	"github.com/lbrx/lbrx/core/gguf"
)

// Dequantize decodes ggml blocks; here one Q8_0 block (an f16 scale of 0.5
// and 32 int8 codes).
func ExampleDequantize() {
	block := binary.LittleEndian.AppendUint16(nil, 0x3800) // f16 0.5
	for i := range 32 {
		block = append(block, byte(int8(i-16)))
	}
	out := make([]float32, 32)
	if err := gguf.Dequantize(gguf.Q8_0, block, out); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(out[:4], out[31])
	fmt.Println(gguf.Q4K, gguf.Q4K.BlockSize(), "values in", gguf.Q4K.BlockBytes(), "bytes")
	// Output:
	// [-8 -7.5 -7 -6.5] 7.5
	// Q4_K 256 values in 144 bytes
}

// Open reads the header; Array views plain tensors in place and Float32
// dequantizes any supported type. (The file is one of the ggml-written
// test files beside the repository, which a clone alone lacks, so the
// example is compiled, not run; TestSharedFiles checks the same listing.)
func ExampleOpen() {
	f, err := gguf.Open("../../../shared/testdata/gguf/ggml_reference_align64.gguf")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	fmt.Println("alignment", f.Alignment())
	for _, t := range f.Tensors() {
		fmt.Println(t.Name, t.Type, "ne", t.Ne, "shape", t.Shape)
	}
	q, err := f.Float32("a64_q4_k")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(q.Shape())
	// With ../shared beside the repository it prints:
	//
	// alignment 64
	// a64_i8 I8 ne [37] shape [37]
	// a64_q8_0 Q8_0 ne [32 3] shape [3 32]
	// a64_f16 F16 ne [7 3] shape [3 7]
	// a64_q4_k Q4_K ne [256] shape [256]
	// a64_f32 F32 ne [5] shape [5]
	// [256]
}
