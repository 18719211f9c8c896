package metal

import (
	"fmt"
	"math"

	"github.com/lbrx/lbrx/core"
)

// Planning of the transformer ops (shaders/transformer.metal): rms_norm,
// rope and causal_attention on contiguous operands, as core hands them
// over, and concat as one copy dispatch per non-empty input. Shapes that
// break core's op conventions are errors; layouts or sizes the kernels do
// not take wrap core.ErrUnsupported, so core runs the op on the CPU.

// contiguousOperands reports the first operand that is not contiguous.
func contiguousOperands(op *core.Op) error {
	for i, a := range op.Inputs {
		if !a.IsContiguous() {
			return unsupportedf("%s: input %d %v is not contiguous", op.Name, i, a)
		}
	}
	return nil
}

// bindAt binds a whole contiguous array at its offset.
func bindAt(a *core.Array, index int) bufArg {
	return bufArg{st: a.Storage(), byteOff: a.Offset() * a.DType().Size(), index: index}
}

// floatKernel names op's kernel for the common dtype of inputs (those
// listed) and output, or reports that there is none.
func floatKernel(op *core.Op, inputs ...int) (string, error) {
	d := op.Out.DType()
	dt, ok := suffix(d)
	for _, i := range inputs {
		ok = ok && op.Inputs[i].DType() == d
	}
	if !ok {
		return "", unsupportedf("%s: no kernel for %v -> %v", op.Name, op.Inputs[0].DType(), d)
	}
	return op.Name + "_" + dt, nil
}

// planRMSNorm plans rms_norm: x [..., D], w [D], out like x.
func planRMSNorm(op *core.Op) ([]dispatch, error) {
	if err := checkInputs(op, 2); err != nil {
		return nil, err
	}
	x, w := op.Inputs[0], op.Inputs[1]
	xs := x.Shape()
	if len(xs) < 1 || w.Rank() != 1 || w.Shape()[0] != xs[len(xs)-1] || !op.Out.Shape().Equal(xs) {
		return nil, fmt.Errorf("metal: rms_norm: weight %v and output %v do not match x %v", w.Shape(), op.Out.Shape(), xs)
	}
	kernel, err := floatKernel(op, 0, 1)
	if err != nil {
		return nil, err
	}
	if err := contiguousOperands(op); err != nil {
		return nil, err
	}
	eps := op.Param
	if eps < 0 || math.IsNaN(eps) || eps > math.MaxFloat32 {
		return nil, fmt.Errorf("metal: rms_norm: eps %v is not a non-negative float32", eps)
	}
	n, d := x.NumElements(), xs[len(xs)-1]
	if n == 0 {
		return nil, nil
	}
	if !fitsU32(n) {
		return nil, unsupportedf("rms_norm: %d elements exceed 32-bit indexing", n)
	}
	rows := n / d
	o, err := outArg(op, 2)
	if err != nil {
		return nil, err
	}
	p := RMSNormParams{Rows: uint32(rows), Cols: uint32(d), Eps: float32(eps)}
	return []dispatch{{
		kernel: kernel,
		bufs:   []bufArg{bindAt(x, 0), bindAt(w, 1), o},
		params: p.Bytes(), paramIdx: 3,
		launch: func(maxThreads, simd int) (Launch, error) {
			t, err := rowThreads(d, simd, maxThreads)
			return RMSNormLaunch(rows, t), err
		},
	}}, nil
}

// planRoPE plans rope: x [..., T, H, D], cos and sin [T, D/2] F32.
func planRoPE(op *core.Op) ([]dispatch, error) {
	if err := checkInputs(op, 3); err != nil {
		return nil, err
	}
	x, cs, sn := op.Inputs[0], op.Inputs[1], op.Inputs[2]
	xs := x.Shape()
	r := len(xs)
	if r < 3 || xs[r-1]%2 != 0 || !op.Out.Shape().Equal(xs) {
		return nil, fmt.Errorf("metal: rope: x %v (output %v) must be [..., T, H, D] with an even D", xs, op.Out.Shape())
	}
	t, h, half := xs[r-3], xs[r-2], xs[r-1]/2
	want := core.Shape{t, half}
	if !cs.Shape().Equal(want) || !sn.Shape().Equal(want) || cs.DType() != core.F32 || sn.DType() != core.F32 {
		return nil, fmt.Errorf("metal: rope: tables %v %v and %v %v must be F32 %v", cs.DType(), cs.Shape(), sn.DType(), sn.Shape(), want)
	}
	kernel, err := floatKernel(op, 0)
	if err != nil {
		return nil, err
	}
	if err := contiguousOperands(op); err != nil {
		return nil, err
	}
	n := x.NumElements()
	if n == 0 {
		return nil, nil
	}
	if !fitsU32(n) {
		return nil, unsupportedf("rope: %d elements exceed 32-bit indexing", n)
	}
	o, err := outArg(op, 3)
	if err != nil {
		return nil, err
	}
	pairs := n / 2
	p := RoPEParams{Pairs: uint32(pairs), HalfDim: uint32(half), Heads: uint32(h), Positions: uint32(t)}
	return []dispatch{{
		kernel: kernel,
		bufs:   []bufArg{bindAt(x, 0), bindAt(cs, 1), bindAt(sn, 2), o},
		params: p.Bytes(), paramIdx: 4,
		launch: func(maxThreads, _ int) (Launch, error) {
			return RoPELaunch(pairs, elementThreads(maxThreads)), nil
		},
	}}, nil
}

// planAttention plans causal_attention: q [..., Tq, Hq, D], k and v
// [..., Tk, Hkv, D].
func planAttention(op *core.Op) ([]dispatch, error) {
	if err := checkInputs(op, 3); err != nil {
		return nil, err
	}
	q, k, v := op.Inputs[0], op.Inputs[1], op.Inputs[2]
	qs, ks := q.Shape(), k.Shape()
	r := len(qs)
	if r < 3 || len(ks) != r || !ks.Equal(v.Shape()) || !op.Out.Shape().Equal(qs) || !qs[:r-3].Equal(ks[:r-3]) || ks[r-1] != qs[r-1] {
		return nil, fmt.Errorf("metal: causal_attention: q %v, k %v, v %v and output %v do not agree", qs, ks, v.Shape(), op.Out.Shape())
	}
	tq, hq, d := qs[r-3], qs[r-2], qs[r-1]
	tk, hkv := ks[r-3], ks[r-2]
	if tk < tq || (hkv == 0 && hq != 0) || (hkv != 0 && hq%hkv != 0) {
		return nil, fmt.Errorf("metal: causal_attention: %d queries of %d heads against %d keys of %d heads", tq, hq, tk, hkv)
	}
	ap := op.Attention()
	scale := ap.Scale
	if math.IsNaN(scale) || math.Abs(scale) > math.MaxFloat32 {
		return nil, fmt.Errorf("metal: causal_attention: scale %v is not a finite float32", scale)
	}
	if ap.Window < 0 || !(ap.SoftCap >= 0) || ap.SoftCap > math.MaxFloat32 {
		return nil, fmt.Errorf("metal: causal_attention: window %d or soft cap %v out of range", ap.Window, ap.SoftCap)
	}
	kernel, err := floatKernel(op, 0, 1, 2)
	if err != nil {
		return nil, err
	}
	if d > AttentionMaxHead {
		return nil, unsupportedf("causal_attention: head size %d > %d", d, AttentionMaxHead)
	}
	if err := contiguousOperands(op); err != nil {
		return nil, err
	}
	n := q.NumElements()
	if n == 0 {
		return nil, nil
	}
	if !fitsU32(n, k.NumElements()) {
		return nil, unsupportedf("causal_attention: q %v or k %v exceeds 32-bit indexing", qs, ks)
	}
	o, err := outArg(op, 3)
	if err != nil {
		return nil, err
	}
	rows := n / d
	p := AttentionParams{Rows: uint32(rows), Tq: uint32(tq), Hq: uint32(hq), Tk: uint32(tk), Hkv: uint32(hkv),
		D: uint32(d), Scale: float32(scale), Window: uint32(min(ap.Window, tk)), SoftCap: float32(ap.SoftCap)}
	return []dispatch{{
		kernel: kernel,
		bufs:   []bufArg{bindAt(q, 0), bindAt(k, 1), bindAt(v, 2), o},
		params: p.Bytes(), paramIdx: 4,
		launch: func(maxThreads, simd int) (Launch, error) {
			t, err := attentionThreads(simd, maxThreads)
			return AttentionLaunch(rows, d, t), err
		},
	}}, nil
}

// attentionThreads is AttentionThreads, narrowed to the widest whole
// number of simdgroups a pipeline allowing fewer threads runs. The kernel
// is written for Apple GPUs' 32-wide simdgroups; any other width runs on
// the CPU.
func attentionThreads(simd, pipelineMax int) (int, error) {
	if simd != 32 {
		return 0, unsupportedf("causal_attention: kernels need 32-wide simdgroups, the pipeline has %d", simd)
	}
	w := AttentionThreads
	if pipelineMax > 0 {
		w = min(w, pipelineMax/simd*simd)
	}
	if w < simd {
		return 0, unsupportedf("causal_attention: the pipeline allows %d threads per threadgroup, less than a simdgroup", pipelineMax)
	}
	return w, nil
}

// concatWidth names the concat kernel copying elements of size bytes.
func concatWidth(size int) (string, bool) {
	switch size {
	case 1:
		return "x8", true
	case 2:
		return "x16", true
	case 4:
		return "x32", true
	case 8:
		return "x64", true
	}
	return "", false
}

// planConcat plans concat along op.Axes[0]: input i, of n_i positions
// along the axis, fills the output's blocks of n_i*inner elements that
// start at its position (inner: the product of the later dimensions).
// Inputs may be any view of rank <= 8 after merging dimensions.
func planConcat(op *core.Op) ([]dispatch, error) {
	if len(op.Inputs) == 0 {
		return nil, fmt.Errorf("metal: concat without inputs")
	}
	if err := checkInputs(op, len(op.Inputs)); err != nil {
		return nil, err
	}
	out := op.Out
	oshape := out.Shape()
	if len(op.Axes) != 1 || op.Axes[0] < 0 || op.Axes[0] >= len(oshape) {
		return nil, fmt.Errorf("metal: concat: axes %v for output %v; want one axis", op.Axes, oshape)
	}
	ax := op.Axes[0]
	total := 0
	for i, a := range op.Inputs {
		s := a.Shape()
		ok := a.DType() == out.DType() && len(s) == len(oshape)
		for d := 0; ok && d < len(s); d++ {
			ok = d == ax || s[d] == oshape[d]
		}
		if !ok {
			return nil, fmt.Errorf("metal: concat along axis %d: input %d %v %v does not fit output %v %v", ax, i, a.DType(), s, out.DType(), oshape)
		}
		total += s[ax]
	}
	if total != oshape[ax] {
		return nil, fmt.Errorf("metal: concat along axis %d: inputs sum to %d, output %v has %d", ax, total, oshape, oshape[ax])
	}
	width, ok := concatWidth(out.DType().Size())
	if !ok {
		return nil, unsupportedf("concat: no kernel for %v", out.DType())
	}
	if out.NumElements() == 0 {
		return nil, nil
	}
	o, err := outArg(op, 1)
	if err != nil {
		return nil, err
	}
	inner := 1
	for _, d := range oshape[ax+1:] {
		inner *= d
	}
	if !fitsU32(out.NumElements()) {
		return nil, unsupportedf("concat: output %v exceeds 32-bit indexing", oshape)
	}
	var ds []dispatch
	start := 0
	for i, a := range op.Inputs {
		n := a.NumElements()
		at := start
		start += a.Shape()[ax]
		if n == 0 {
			continue
		}
		ms, mst := mergeDims(a.Shape(), a.Strides())
		if len(ms) > MaxRank {
			return nil, unsupportedf("concat: input %d has %d dimensions after merging, kernels take %d", i, len(ms), MaxRank)
		}
		lo, hi := span(a.Shape(), a.Strides(), a.Offset())
		if !fitsU32(hi-lo) || !fitsI32(mst[0]...) {
			return nil, unsupportedf("concat: input %d %v with strides %v exceeds 32-bit indexing", i, a.Shape(), a.Strides())
		}
		p := ConcatParams{N: uint32(n), Rank: uint32(len(ms)), Offset: uint32(a.Offset() - lo),
			Block: uint32(a.Shape()[ax] * inner), DstOffset: uint32(at * inner), DstStride: uint32(oshape[ax] * inner)}
		for d := range ms {
			p.Shape[d] = uint32(ms[d])
			p.Strides[d] = int32(mst[0][d])
		}
		ds = append(ds, dispatch{
			kernel: "concat_" + width,
			bufs:   []bufArg{{st: a.Storage(), byteOff: lo * a.DType().Size(), index: 0}, o},
			params: p.Bytes(), paramIdx: 2,
			launch: linear(n),
		})
	}
	return ds, nil
}
