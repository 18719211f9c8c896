package core

import "fmt"

// rope_ggml: rope (see ops_rope.go) of head vectors stored in ggml's
// rope order, written in Hugging Face's. A GGUF file of the Llama family
// keeps each q/k head's rows so that a rotated pair is adjacent: element
// 2i holds Hugging Face's element i and 2i+1 its element i+D/2. This op
// reads the pairs there and writes
//
//	y[i]       = x[2i]*cos[i] - x[2i+1]*sin[i]
//	y[i + D/2] = x[2i+1]*cos[i] + x[2i]*sin[i]
//
// which is rope of the reordered heads, bit for bit (the same products
// and sums), without the strided copy that reorders them first.
//
// Op convention: as rope: Inputs are x [..., T, H, D], cos and sin
// [T, D/2] (F32), all contiguous; Out has x's shape and dtype. Only the
// CPU has a kernel (another device runs it through the CPU fallback);
// callers on a GPU reorder and call rope.

func init() { registerCPU("rope_ggml", cpuRoPEGGML) }

// RoPEGGMLOp rotates x [..., T, H, D], whose heads are in ggml's rope
// order, by the angles in cos and sin [T, D/2] (float32), and returns the
// heads in Hugging Face's order.
func RoPEGGMLOp(x, cos, sin *Array) (*Array, error) {
	ins, err := ropeInputs("rope_ggml", x, cos, sin)
	if err != nil {
		return nil, err
	}
	out, err := emptyOutput(x.Device(), x.dtype, x.shape)
	if err != nil {
		return nil, fmt.Errorf("rope_ggml: %w", err)
	}
	return runOp(&Op{Name: "rope_ggml", Inputs: ins, Out: out})
}

func cpuRoPEGGML(op *Op) error {
	return floatKernel(op, ropeGGMLKernel[float32], ropeGGMLKernel[float64])
}

func ropeGGMLKernel[C floatC](op *Op) error { return ropeRows[C](op, true) }
