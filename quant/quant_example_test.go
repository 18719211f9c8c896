package quant_test

import (
	"fmt"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/quant"
)

// A [2, 64] weight quantized to 4 bits in groups of 32: the codes are
// uint32 [2, 64*4/32], the scales and biases [2, 64/32] in the weight's
// dtype.
func ExampleQuantize() {
	vals := make([]float32, 2*64)
	for i := range vals {
		vals[i] = float32(i%64)/32 - 1 // -1 .. 0.97 in steps of 1/32
	}
	w, _ := core.FromSlice(vals, 2, 64)
	q, err := quant.Quantize(w.Array(), 4, 32)
	if err != nil {
		fmt.Println(err)
		return
	}
	qi := q.Quant()
	fmt.Println(q.DType(), q.Shape(), qi.Scales.DType(), qi.Scales.Shape(), qi.Shape)
	// Output: U32 [2 8] F32 [2 2] [2 64]
}

// Dequantize returns the weight in the scales' dtype. MLX's algorithm
// rescales each group so that zero and the group's edge value (here 1)
// are exact; the rest are within a quantization step (here 2/254).
func ExampleDequantize() {
	w, _ := core.FromSlice([]float32{
		0, 0.25, -0.5, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1,
	}, 1, 32)
	q, _ := quant.Quantize(w.Array(), 8, 32)
	d, _ := quant.Dequantize(q)
	t, _ := core.As[float32](d)
	v, _ := t.Values()
	fmt.Printf("%.4f %.4f %.4f %.4f %.4f\n", v[0], v[1], v[2], v[3], v[31])
	// Output: 0.0000 0.2520 -0.4961 1.0000 -1.0000
}

// MatMul computes y = x @ W^T straight from the packed codes. The rows
// here are small integers, which 4-bit groups represent exactly.
func ExampleMatMul() {
	vals := make([]float32, 3*64)
	for i := range 64 {
		vals[i] = float32(i % 16)
		vals[64+i] = float32(15 - i%16)
		vals[128+i] = float32(2 * (i % 16))
	}
	w, _ := core.FromSlice(vals, 3, 64)
	q, _ := quant.Quantize(w.Array(), 4, 64)
	ones := make([]float32, 2*64)
	for i := range ones {
		ones[i] = float32(1 + i/64) // x rows: all 1, all 2
	}
	x, _ := core.FromSlice(ones, 2, 64)
	y, err := quant.MatMul(x.Array(), q)
	if err != nil {
		fmt.Println(err)
		return
	}
	t, _ := core.As[float32](y)
	v, _ := t.Values()
	fmt.Println(y.Shape(), v)
	// Output: [2 3] [480 480 960 960 960 1920]
}

// QuantizeBlocks writes ggml blocks as llama-quantize does: a [2, 256]
// weight becomes two Q4_K super-blocks of 144 bytes per row, multiplied
// in place by MatMul. Row 0 is 0..15 repeating (sum 1920), row 1 its
// negation; the 6-bit sub-block scales leave them within a fraction of a
// step.
func ExampleQuantizeBlocks() {
	vals := make([]float32, 2*256)
	for i := range 256 {
		vals[i] = float32(i % 16)
		vals[256+i] = -float32(i % 16)
	}
	w, _ := core.FromSlice(vals, 2, 256)
	q, err := quant.QuantizeBlocks(w.Array(), core.SchemeQ4_K)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(q.DType(), q.Shape(), q.Quant().Shape, quant.BlockValues(core.SchemeQ4_K), quant.BlockBytes(core.SchemeQ4_K))
	ones := make([]float32, 256)
	for i := range ones {
		ones[i] = 1
	}
	x, _ := core.FromSlice(ones, 1, 256)
	y, _ := quant.MatMul(x.Array(), q)
	t, _ := core.As[float32](y)
	v, _ := t.Values()
	fmt.Printf("%.1f %.1f\n", v[0], v[1])
	// Output:
	// U8 [2 144] [2 256] 256 144
	// 1919.5 -1919.5
}

// AsBlocks marks bytes already in memory, such as a tensor of a mapped
// GGUF file, as ggml blocks without copying them.
func ExampleAsBlocks() {
	raw, _ := core.Zeros[uint8](4, 2*18) // four rows of two Q4_0 blocks
	w, err := quant.AsBlocks(raw.Array(), core.SchemeQ4_0, core.Shape{4, 64})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(w.Quant().Scheme, w.Quant().Shape)
	// Output: ggml_q4_0 [4 64]
}

// An F16 weight used in place by a float32 model: HalfBlocks marks its
// bytes as one-value blocks, and the quantized matmul converts each half
// in its inner loop instead of needing a widened float32 copy.
func ExampleHalfBlocks() {
	w, _ := core.FromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	h, _ := core.CastOp(w.Array(), core.F16)
	hb, err := quant.HalfBlocks(h)
	if err != nil {
		fmt.Println(err)
		return
	}
	x, _ := core.FromSlice([]float32{1, 1, 1}, 1, 3)
	y, _ := core.QuantizedMatMulOp(x.Array(), hb)
	yt, _ := core.As[float32](y)
	yv, _ := yt.Values()
	fmt.Println(hb.Quant().Scheme, hb.Shape(), yv)
	// Output: ggml_f16 [2 6] [6 15]
}
