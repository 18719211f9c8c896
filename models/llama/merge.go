package llama

import (
	"fmt"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/quant"
)

// Merged projections: q, k and v, and gate and up, read the same input,
// so on a GPU they run as one matrix product each over their weights
// stacked by rows (fewer, larger kernels per decode step). The stacked
// weight is assembled on the device as the parts are uploaded, each
// part's bytes copied from the host straight into its rows, so nothing
// is copied on the host; the parts stay usable as row views of it.

// stackOn reports whether a model on dev stacks its projections and runs
// the fused ops; tests replace it to run the fused path on the CPU.
var stackOn = copiesWeights

// copiesWeights reports whether weights are copied to dev anyway (not
// the CPU, not a device that imports host memory, where stacking would
// add a copy).
func copiesWeights(dev core.Device) bool {
	if dev == core.CPU() {
		return false
	}
	_, imports := dev.(core.Importer)
	return !imports
}

// merged loads the projections prefix+".weight" (and ".bias") of names
// with outs rows each and in columns as one linear over their stacked
// rows, and returns it with each part as a view of it. ok is false, with
// nothing loaded, when the parts cannot be stacked (mixed dtypes or
// quantizations, tensors not in host memory): the caller loads them one
// by one.
//
// reorder, when not nil, gives per part the heads of headDim rows whose
// rows are in ggml's rope order (Config.GGMLRopeOrder: a GGUF file's q and
// k projections); they are stacked in Hugging Face's order instead
// (hfRowOrder), so the merged projection's outputs need no reordering and
// rope_cache can take them.
func (l *loader) merged(names []string, outs []int, in int, bias bool, reorder []int, headDim int) (all linear, parts []linear, ok bool) {
	if l.err != nil {
		return linear{}, nil, false
	}
	ws := make([]*core.Array, len(names))
	for i, n := range names {
		a, found := l.tensors[n+".weight"]
		if !found || !stackable(a, ws[0]) {
			return linear{}, nil, false
		}
		got := a.Shape()
		if q := a.Quant(); q != nil {
			got = q.Shape
		}
		if !got.Equal(core.Shape{outs[i], in}) {
			return linear{}, nil, false // loaded one by one, the shape error names the tensor
		}
		ws[i] = a
	}
	var bs []*core.Array
	if bias {
		for _, n := range names {
			b, found := l.tensors[n+".bias"]
			if !found || b.Quant() != nil || !b.DType().IsFloat() || !b.Shape().Equal(core.Shape{b.Shape()[0]}) {
				return linear{}, nil, false
			}
			bs = append(bs, b)
		}
	}
	for i := range reorder {
		if reorder[i] == 0 {
			continue
		}
		var err error
		if ws[i], err = hfRowOrder(ws[i], reorder[i], headDim); err == nil && bias {
			bs[i], err = hfRowOrder(bs[i], reorder[i], headDim)
		}
		if err != nil {
			l.err = fmt.Errorf("tensor %q: %w", names[i], err)
			return linear{}, nil, false
		}
	}
	name := names[0] + "+"
	w, err := l.stack(name+"weight", ws)
	if err == nil && bias {
		all.b, err = l.stack(name+"bias", bs)
	}
	if err != nil {
		l.err = fmt.Errorf("stack %v: %w", names, err)
		return linear{}, nil, false
	}
	all.w = w
	if w.Quant() == nil {
		if all.wT, err = w.T(); err != nil {
			l.err = err
			return linear{}, nil, false
		}
	}
	parts = make([]linear, len(names))
	lo := 0
	for i, n := range names {
		hi := lo + outs[i]
		var p linear
		if w.Quant() != nil {
			p.w, err = quant.SliceRows(w, lo, hi)
		} else if p.w, err = w.Slice(0, lo, hi, 1); err == nil {
			p.wT, err = p.w.T()
		}
		if err == nil {
			p.w, err = named(p.w, n+".weight")
		}
		if err == nil && bias {
			if p.b, err = all.b.Slice(0, lo, hi, 1); err == nil {
				p.b, err = named(p.b, n+".bias")
			}
		}
		if err != nil {
			l.err = fmt.Errorf("tensor %q: %w", n, err)
			return linear{}, nil, false
		}
		parts[i] = p
		lo = hi
	}
	return all, parts, true
}

// stackable reports whether a can be stacked under first (nil for the
// first part): host memory, and the same dtype and quantization.
func stackable(a, first *core.Array) bool {
	if _, host := a.Storage().(core.HostStorage); !host {
		return false
	}
	q := a.Quant()
	if q != nil && (len(q.Shape) != 2 || q.ZeroPoints != nil || a.Rank() != 2) {
		return false
	}
	if first == nil {
		return true
	}
	f := first.Quant()
	if (q == nil) != (f == nil) || a.DType() != first.DType() {
		return false
	}
	if q == nil {
		return true
	}
	same := func(x, y *core.Array) bool {
		return (x == nil) == (y == nil) && (x == nil || x.DType() == y.DType())
	}
	return q.Scheme == f.Scheme && q.Bits == f.Bits && q.GroupSize == f.GroupSize &&
		same(q.Scales, f.Scales) && same(q.Biases, f.Biases)
}

// stack places parts (host arrays of one dtype, equal but for their
// first dimension) on the model's device as one array of their rows:
// dense parts in the activation dtype, quantized ones as stacked codes,
// scales and biases.
func (l *loader) stack(name string, parts []*core.Array) (*core.Array, error) {
	if parts[0].Quant() == nil {
		cast := make([]*core.Array, len(parts))
		for i, p := range parts {
			c := p
			if p.DType() != l.m.dtype {
				var err error
				if c, err = core.CastOp(p, l.m.dtype); err != nil {
					return nil, err
				}
			}
			cast[i] = c
		}
		w, err := rowsOnDevice(l.m.dev, cast)
		if err != nil {
			return nil, err
		}
		return named(w, name)
	}
	codes, err := rowsOnDevice(l.m.dev, parts)
	if err != nil {
		return nil, err
	}
	q0 := parts[0].Quant()
	q := &core.QuantizationInfo{Scheme: q0.Scheme, Bits: q0.Bits, GroupSize: q0.GroupSize, Shape: core.Shape{0, q0.Shape[1]}}
	for _, p := range parts {
		q.Shape[0] += p.Quant().Shape[0]
	}
	for _, f := range []struct {
		dst **core.Array
		get func(*core.QuantizationInfo) *core.Array
	}{
		{&q.Scales, func(q *core.QuantizationInfo) *core.Array { return q.Scales }},
		{&q.Biases, func(q *core.QuantizationInfo) *core.Array { return q.Biases }},
	} {
		if f.get(q0) == nil {
			continue
		}
		ps := make([]*core.Array, len(parts))
		for i, p := range parts {
			ps[i] = f.get(p.Quant())
		}
		if *f.dst, err = rowsOnDevice(l.m.dev, ps); err != nil {
			return nil, err
		}
	}
	meta := codes.Metadata()
	meta.Name, meta.Quant = name, q
	return codes.WithMetadata(meta)
}

// rowsOnDevice copies host arrays (same dtype and trailing dimensions)
// into consecutive rows of one new array on dev.
func rowsOnDevice(dev core.Device, parts []*core.Array) (*core.Array, error) {
	shape := parts[0].Shape().Clone()
	shape[0] = 0
	for _, p := range parts {
		s := p.Shape()
		if p.DType() != parts[0].DType() || len(s) != len(shape) || !s[1:].Equal(shape[1:]) {
			return nil, fmt.Errorf("parts %v and %v %v do not stack", parts[0].Shape(), p.DType(), s)
		}
		shape[0] += s[0]
	}
	out, err := core.Empty(dev, parts[0].DType(), shape)
	if err != nil {
		return nil, err
	}
	off := 0
	for _, p := range parts {
		b, err := p.Bytes()
		if err != nil {
			return nil, err
		}
		if err := dev.CopyFromHost(out.Storage(), off, b); err != nil {
			return nil, err
		}
		off += len(b)
	}
	return out, nil
}

// hfRowOrder returns a copy of the host array a (a weight [heads*d, ...],
// quantized or not, or a bias [heads*d]) with each head's rows moved from
// ggml's rope order to Hugging Face's: row 2i+j of a head becomes row
// j*d/2+i (the inverse of llama.cpp's converter permutation, which
// fromGGMLOrder undoes on a projection's outputs). A quantized array's
// scales and biases move with its rows.
func hfRowOrder(a *core.Array, heads, d int) (*core.Array, error) {
	perm := func(x *core.Array) (*core.Array, error) {
		if x == nil {
			return nil, nil
		}
		rows := heads * d
		if x.Rank() < 1 || x.Shape()[0] != rows || d%2 != 0 {
			return nil, fmt.Errorf("%v: want %d heads of %d rows in ggml's rope order", x, heads, d)
		}
		src, err := x.Bytes()
		if err != nil {
			return nil, err
		}
		rb := len(src) / rows
		h := core.NewHeap(len(src))
		dst := h.Bytes()
		for hd := range heads {
			for j := range 2 {
				for i := range d / 2 {
					to, from := hd*d+j*d/2+i, hd*d+2*i+j
					copy(dst[to*rb:(to+1)*rb], src[from*rb:(from+1)*rb])
				}
			}
		}
		out, err := core.NewArray(x.DType(), x.Shape(), h, 0)
		if err != nil {
			return nil, err
		}
		return out.WithMetadata(core.Metadata{Name: x.Name()})
	}
	out, err := perm(a)
	if err != nil {
		return nil, err
	}
	q := a.Quant()
	if q == nil {
		return out, nil
	}
	nq := *q
	if nq.Scales, err = perm(q.Scales); err != nil {
		return nil, err
	}
	if nq.Biases, err = perm(q.Biases); err != nil {
		return nil, err
	}
	if nq.ZeroPoints, err = perm(q.ZeroPoints); err != nil {
		return nil, err
	}
	meta := a.Metadata()
	meta.Quant = &nq
	return out.WithMetadata(meta)
}
