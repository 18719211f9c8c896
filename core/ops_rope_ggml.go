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

func ropeGGMLKernel[C floatC](op *Op) error {
	x, ct, st, out := op.Inputs[0], op.Inputs[1], op.Inputs[2], op.Out
	rx, err := reader[C](x)
	if err != nil {
		return fmt.Errorf("%s: %w", op.Name, err)
	}
	cs, err := hostSlice[float32](ct)
	if err != nil {
		return fmt.Errorf("%s: %w", op.Name, err)
	}
	ss, err := hostSlice[float32](st)
	if err != nil {
		return fmt.Errorf("%s: %w", op.Name, err)
	}
	get, put, err := writer[C](out)
	if err != nil {
		return fmt.Errorf("%s: %w", op.Name, err)
	}
	r := x.Rank()
	t, h, d := x.shape[r-3], x.shape[r-2], x.shape[r-1]
	half := d / 2
	if d == 0 || x.NumElements() == 0 {
		return nil
	}
	rows := x.NumElements() / d // one head vector each
	var xbuf, obuf []C
	if x.dtype != DTypeOf[C]() {
		xbuf, obuf = make([]C, d), make([]C, d)
	}
	for i := range rows {
		pos := i / h % t
		c := cs[ct.offset+pos*half : ct.offset+(pos+1)*half]
		s := ss[st.offset+pos*half : st.offset+(pos+1)*half]
		v := rx(x.offset+i*d, 1, d, xbuf)
		dst := get(out.offset+i*d, 1, d, obuf)
		for j := range half {
			x1, x2 := v[2*j], v[2*j+1]
			cj, sj := C(c[j]), C(s[j])
			dst[j] = x1*cj - x2*sj
			dst[j+half] = x2*cj + x1*sj
		}
		put(out.offset+i*d, 1, dst)
	}
	return nil
}
