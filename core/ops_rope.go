package core

import "fmt"

// rope: rotary position embedding in Hugging Face's rotate-half
// convention (the Llama family). For a head vector x of even size D with
// halves x1 = x[:D/2] and x2 = x[D/2:], and the angle tables of its
// position,
//
//	y[:D/2] = x1*cos - x2*sin
//	y[D/2:] = x2*cos + x1*sin
//
// which is x*cat(cos,cos) + rotate_half(x)*cat(sin,sin). The tables come
// from the caller (the model knows its frequencies and their scaling), so
// one kernel serves every RoPE variant that only changes frequencies.
//
// Op convention: Inputs are x [..., T, H, D] (sequence, heads, head size),
// cos and sin [T, D/2] (F32), all contiguous; Out has x's shape and dtype.

func init() { registerCPU("rope", cpuRoPE) }

// RoPEOp rotates x [..., T, H, D] by the angles whose cosines and sines
// are cos and sin [T, D/2] (float32): row t of the tables applies to
// position t of x.
func RoPEOp(x, cos, sin *Array) (*Array, error) {
	ins, err := ropeInputs("rope", x, cos, sin)
	if err != nil {
		return nil, err
	}
	out, err := emptyOutput(x.Device(), x.dtype, x.shape)
	if err != nil {
		return nil, fmt.Errorf("rope: %w", err)
	}
	return runOp(&Op{Name: "rope", Inputs: ins, Out: out})
}

// ropeInputs checks rope's (or rope_ggml's) operands and returns them
// contiguous.
func ropeInputs(name string, x, cos, sin *Array) ([]*Array, error) {
	if x == nil || cos == nil || sin == nil {
		return nil, fmt.Errorf("%s: nil operand", name)
	}
	if !x.dtype.IsFloat() {
		return nil, unsupported(name, x.dtype)
	}
	if cos.dtype != F32 || sin.dtype != F32 {
		return nil, fmt.Errorf("%s: cos and sin tables are %v and %v, want F32", name, cos.dtype, sin.dtype)
	}
	r := x.Rank()
	if r < 3 || x.shape[r-1]%2 != 0 {
		return nil, fmt.Errorf("%s: x %v must be [..., T, H, D] with an even head size D", name, x.shape)
	}
	want := Shape{x.shape[r-3], x.shape[r-1] / 2}
	if !cos.shape.Equal(want) || !sin.shape.Equal(want) {
		return nil, fmt.Errorf("%s: tables %v and %v must be [T, D/2] = %v for x %v", name, cos.shape, sin.shape, want, x.shape)
	}
	if _, err := sameDevice(name, x, cos, sin); err != nil {
		return nil, err
	}
	ins, err := contiguousAll(x, cos, sin)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return ins, nil
}

// RoPE is the typed form of RoPEOp.
func RoPE[T Float](x *Tensor[T], cos, sin *Tensor[float32]) (*Tensor[T], error) {
	if x == nil || cos == nil || sin == nil {
		return nil, fmt.Errorf("rope: nil operand")
	}
	return wrapTensor[T](RoPEOp(x.a, cos.a, sin.a))
}

func cpuRoPE(op *Op) error { return floatKernel(op, ropeKernel[float32], ropeKernel[float64]) }

func ropeKernel[C floatC](op *Op) error { return ropeRows[C](op, false) }

// ropeRows rotates every head vector of op's x. A rotated pair is (j,
// j+D/2) in Hugging Face's order, or (2j, 2j+1) with ggmlOrder (rope_ggml);
// either way y[j] and y[j+D/2] are written, so both orders share the
// products and sums bit for bit.
func ropeRows[C floatC](op *Op, ggmlOrder bool) error {
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
	// The pair of j is v[j*step] and v[j*step+off].
	step, off := 1, half
	if ggmlOrder {
		step, off = 2, 1
	}
	rows := x.NumElements() / d // one head vector each
	xbuf, obuf := scratch[C](x, d), scratch[C](out, d)
	for i := range rows {
		pos := i / h % t
		c := cs[ct.offset+pos*half : ct.offset+(pos+1)*half]
		s := ss[st.offset+pos*half : st.offset+(pos+1)*half]
		v := rx(x.offset+i*d, 1, d, xbuf)
		dst := get(out.offset+i*d, 1, d, obuf)
		for j := range half {
			x1, x2 := v[j*step], v[j*step+off]
			cj, sj := C(c[j]), C(s[j])
			dst[j] = x1*cj - x2*sj
			dst[j+half] = x2*cj + x1*sj
		}
		put(out.offset+i*d, 1, dst)
	}
	return nil
}
