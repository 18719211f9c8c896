package core

import (
	"fmt"
	"math"
)

// causal_attention: scaled dot-product attention with a causal mask and
// grouped-query heads, the attention of decoder-only transformers. With
// Tq queries that are the last Tq of Tk positions (Tk - Tq earlier
// positions sit in a key/value cache), query i sees keys 0..i+Tk-Tq:
//
//	out[i, h] = softmax_j(scale * q[i, h] · k[j, g]) · v[j, g],  g = h / (Hq/Hkv)
//
// Query head h reads key/value head h/(Hq/Hkv), as Hugging Face's
// repeat_kv lays the heads out. Dot products and the softmax accumulate
// in float64; f16/bf16 compute in float32 and round once.
//
// Two optional parameters (AttentionParams) serve Mistral, Gemma and their
// kin: a sliding window, with which query i sees only the Window keys
// ending at its own position (i+Tk-Tq-Window+1 .. i+Tk-Tq), and a soft
// cap, with which each scaled score s becomes SoftCap*tanh(s/SoftCap)
// before the softmax.
//
// Op convention: Inputs are q [..., Tq, Hq, D], k and v [..., Tk, Hkv, D]
// (one float dtype, equal leading axes, Tk >= Tq, Hkv divides Hq), all
// contiguous; Param is the scale; Params is nil or [Window, SoftCap] (0
// meaning none; read both with Op.Attention); Out is [..., Tq, Hq, D] in
// q's dtype.

func init() { registerCPU("causal_attention", cpuCausalAttention) }

// AttentionParams are causal_attention's parameters.
type AttentionParams struct {
	// Scale multiplies the dot products (usually 1/sqrt(D)).
	Scale float64
	// Window, when positive, limits each query to the Window most recent
	// keys, its own position included (a sliding window); 0 means every
	// earlier key.
	Window int
	// SoftCap, when positive, bounds each scaled score s to
	// SoftCap*tanh(s/SoftCap) (Gemma 2's attention logit soft-capping); 0
	// means none.
	SoftCap float64
}

// keys returns the first and last key query i of tq attends to among tk
// keys (the queries are the last tq positions).
func (p AttentionParams) keys(i, tq, tk int) (first, last int) {
	last = i + tk - tq
	if p.Window > 0 {
		first = max(0, last-p.Window+1)
	}
	return first, last
}

// capped applies the soft cap to a scaled score.
func (p AttentionParams) capped(s float64) float64 {
	if p.SoftCap > 0 {
		return p.SoftCap * math.Tanh(s/p.SoftCap)
	}
	return s
}

// expScores replaces the scores w[first..last] by e^(w-mx) and returns
// their sum: the softmax's numerators and denominator.
func expScores(w []float64, first, last int, mx float64) float64 {
	var sum float64
	for j := first; j <= last; j++ {
		w[j] = math.Exp(w[j] - mx)
		sum += w[j]
	}
	return sum
}

// Attention returns the parameters of a causal_attention or
// cached_attention op.
func (op *Op) Attention() AttentionParams {
	p := AttentionParams{Scale: op.Param}
	if len(op.Params) == 2 {
		p.Window, p.SoftCap = int(op.Params[0]), op.Params[1]
	}
	return p
}

// check checks the window and the soft cap (the scale is checked by the
// callers, whose messages predate the other two).
func (p AttentionParams) check(name string) error {
	switch {
	case p.Window < 0 || p.Window > 1<<30:
		return fmt.Errorf("%s: window %d is not in [0, 2^30]", name, p.Window)
	case !(p.SoftCap >= 0) || math.IsInf(p.SoftCap, 0):
		return fmt.Errorf("%s: soft cap %v is not a finite non-negative number", name, p.SoftCap)
	}
	return nil
}

// attentionOpOf builds an attention op (causal_attention or
// cached_attention) with its parameters in Param, Params and Attrs.
func attentionOpOf(name string, ins []*Array, out *Array, p AttentionParams) *Op {
	op := &Op{Name: name, Inputs: ins, Out: out, Param: p.Scale, Attrs: AttentionAttrs(p)}
	if p.Window > 0 || p.SoftCap > 0 {
		op.Params = []float64{float64(p.Window), p.SoftCap}
	}
	return op
}

// CausalAttentionOp attends queries q [..., Tq, Hq, D] to keys k and
// values v [..., Tk, Hkv, D] with a causal mask, the queries being the
// last Tq of the Tk positions. scale multiplies the dot products (usually
// 1/sqrt(D)).
func CausalAttentionOp(q, k, v *Array, scale float64) (*Array, error) {
	return AttentionOp(q, k, v, AttentionParams{Scale: scale})
}

// AttentionOp is CausalAttentionOp with a sliding window and a soft cap
// on the scores where p sets them.
func AttentionOp(q, k, v *Array, p AttentionParams) (*Array, error) {
	scale := p.Scale
	if q == nil || k == nil || v == nil {
		return nil, fmt.Errorf("causal_attention: nil operand")
	}
	if !q.dtype.IsFloat() {
		return nil, unsupported("causal_attention", q.dtype)
	}
	if err := sameDType("causal_attention", q, k); err != nil {
		return nil, err
	}
	if err := sameDType("causal_attention", q, v); err != nil {
		return nil, err
	}
	r := q.Rank()
	if r < 3 || k.Rank() != r || !k.shape.Equal(v.shape) {
		return nil, fmt.Errorf("causal_attention: q %v, k %v and v %v must be [..., T, H, D] with k and v alike", q.shape, k.shape, v.shape)
	}
	tq, hq, d := q.shape[r-3], q.shape[r-2], q.shape[r-1]
	tk, hkv := k.shape[r-3], k.shape[r-2]
	switch {
	case !q.shape[:r-3].Equal(k.shape[:r-3]):
		return nil, fmt.Errorf("causal_attention: leading axes of q %v and k %v differ", q.shape, k.shape)
	case k.shape[r-1] != d:
		return nil, fmt.Errorf("causal_attention: head size of q %v and k %v differ", q.shape, k.shape)
	case tk < tq:
		return nil, fmt.Errorf("causal_attention: %d keys for %d queries; queries must be the last of the key positions", tk, tq)
	case hkv == 0 && hq != 0, hkv != 0 && hq%hkv != 0:
		return nil, fmt.Errorf("causal_attention: %d key/value heads do not divide %d query heads", hkv, hq)
	case math.IsNaN(scale) || math.IsInf(scale, 0):
		return nil, fmt.Errorf("causal_attention: scale %v is not finite", scale)
	}
	if err := p.check("causal_attention"); err != nil {
		return nil, err
	}
	if _, err := sameDevice("causal_attention", q, k, v); err != nil {
		return nil, err
	}
	ins, err := contiguousAll(q, k, v)
	if err != nil {
		return nil, fmt.Errorf("causal_attention: %w", err)
	}
	out, err := emptyOutput(q.Device(), q.dtype, q.shape)
	if err != nil {
		return nil, fmt.Errorf("causal_attention: %w", err)
	}
	return runOp(attentionOpOf("causal_attention", ins, out, p))
}

// CausalAttention is the typed form of CausalAttentionOp.
func CausalAttention[T Float](q, k, v *Tensor[T], scale float64) (*Tensor[T], error) {
	ins, err := arrays("causal_attention", q, k, v)
	if err != nil {
		return nil, err
	}
	return wrapTensor[T](CausalAttentionOp(ins[0], ins[1], ins[2], scale))
}

// Attention is the typed form of AttentionOp.
func Attention[T Float](q, k, v *Tensor[T], p AttentionParams) (*Tensor[T], error) {
	ins, err := arrays("causal_attention", q, k, v)
	if err != nil {
		return nil, err
	}
	return wrapTensor[T](AttentionOp(ins[0], ins[1], ins[2], p))
}

func cpuCausalAttention(op *Op) error {
	return floatKernel(op, attentionKernel[float32], attentionKernel[float64])
}

// attentionKernel reads the operands in the compute type once (the
// storage itself where no conversion is needed, else one converted copy:
// the keys and values are read by every query head of their group), then
// runs (batch, query head) pairs in parallel when there is enough work.
func attentionKernel[C floatC](op *Op) error {
	q, k, v, out := op.Inputs[0], op.Inputs[1], op.Inputs[2], op.Out
	r := q.Rank()
	tq, hq, d := q.shape[r-3], q.shape[r-2], q.shape[r-1]
	tk, hkv := k.shape[r-3], k.shape[r-2]
	if q.NumElements() == 0 {
		return nil
	}
	load := func(a *Array) ([]C, error) {
		rd, err := reader[C](a)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op.Name, err)
		}
		n := a.NumElements()
		var buf []C // arrays of the compute type are read in place
		if a.dtype != DTypeOf[C]() {
			buf = make([]C, n)
		}
		return rd(a.offset, 1, n, buf), nil
	}
	qs, err := load(q)
	if err != nil {
		return err
	}
	ks, err := load(k)
	if err != nil {
		return err
	}
	vs, err := load(v)
	if err != nil {
		return err
	}
	get, put, err := writer[C](out)
	if err != nil {
		return fmt.Errorf("%s: %w", op.Name, err)
	}
	n := q.NumElements()
	var obuf []C // written in place when out has the compute type
	if out.dtype != DTypeOf[C]() {
		obuf = make([]C, n)
	}
	os := get(out.offset, 1, n, obuf)
	batches := n / (tq * hq * d)
	rep := hq / hkv
	ap := op.Attention()
	pairs := batches * hq
	q32, _ := any(qs).([]float32)
	k32, _ := any(ks).([]float32)
	v32, _ := any(vs).([]float32)
	o32, _ := any(os).([]float32)
	work := func(p0, p1 int) {
		w := make([]float64, tk)
		if o32 != nil {
			for p := p0; p < p1; p++ {
				b, h := p/hq, p%hq
				kb, vb := k32[b*tk*hkv*d:], v32[b*tk*hkv*d:]
				for i := range tq {
					first, last := ap.keys(i, tq, tk)
					at := ((b*tq+i)*hq + h) * d
					attendF32(o32[at:at+d], q32[at:at+d], kb, vb, w, first, last, hkv, h/rep, ap)
				}
			}
			return
		}
		acc := make([]float64, d)
		for p := p0; p < p1; p++ {
			b, h := p/hq, p%hq
			g := h / rep
			kb := ks[b*tk*hkv*d:]
			vb := vs[b*tk*hkv*d:]
			for i := range tq {
				qv := qs[((b*tq+i)*hq+h)*d:][:d]
				first, last := ap.keys(i, tq, tk)
				mx := math.Inf(-1)
				for j := first; j <= last; j++ {
					kv := kb[(j*hkv+g)*d:][:d]
					var s float64
					for e, x := range qv {
						s += float64(x) * float64(kv[e])
					}
					w[j] = ap.capped(s * ap.Scale)
					mx = math.Max(mx, w[j])
				}
				sum := expScores(w, first, last, mx)
				clear(acc)
				for j := first; j <= last; j++ {
					p := w[j] / sum
					vv := vb[(j*hkv+g)*d:][:d]
					for e, x := range vv {
						acc[e] += p * float64(x)
					}
				}
				o := os[((b*tq+i)*hq+h)*d:][:d]
				for e, a := range acc {
					o[e] = C(a)
				}
			}
		}
	}
	// Heads go to the threads once a call has some 64K multiply-adds
	// (a decode step of 32 heads of 64 over 32 cached positions).
	if pairs < 2 || tq*tk*d*pairs < 1<<16 {
		work(0, pairs)
	} else {
		ParallelFor(pairs, 1, work)
	}
	put(out.offset, 1, os)
	return nil
}
