package core

import "fmt"

// Contiguous returns a with its elements laid out row-major from offset 0
// of fresh storage on the same device, or a itself when it already is
// contiguous.
func (a *Array) Contiguous() (*Array, error) {
	if a.IsContiguous() {
		return a, nil
	}
	out, err := emptyOutput(a.Device(), a.dtype, a.shape)
	if err != nil {
		return nil, err
	}
	out.meta = a.meta.clone()
	if err := Run(&Op{Name: "copy", Inputs: []*Array{a}, Out: out}); err != nil {
		return nil, fmt.Errorf("contiguous %v: %w", a, err)
	}
	return out, nil
}

// To returns a on dev. Metadata travels along, and so do the quantization
// scales, biases and zero points. A tensor already on dev is returned as
// is; a contiguous host tensor moves without a copy to a device that can
// import host memory (unified memory).
func (a *Array) To(dev Device) (*Array, error) {
	if a.Device() == dev {
		return a, nil
	}
	if st := dev.Status(); !st.Available {
		return nil, fmt.Errorf("move %v to %s: device unavailable: %s", a, dev.Name(), st.Reason)
	}
	moved, err := a.moveData(dev)
	if err != nil {
		return nil, fmt.Errorf("move %v to %s: %w", a, dev.Name(), err)
	}
	moved.meta = a.meta.clone()
	if q := a.meta.Quant; q != nil {
		mq := q.clone()
		for _, p := range []**Array{&mq.Scales, &mq.Biases, &mq.ZeroPoints} {
			if *p == nil {
				continue
			}
			if *p, err = (*p).To(dev); err != nil {
				return nil, fmt.Errorf("move quantization of %v: %w", a, err)
			}
		}
		moved.meta.Quant = mq
	}
	return moved, nil
}

func (a *Array) moveData(dev Device) (*Array, error) {
	es := a.dtype.Size()
	lo, hi := a.span()
	if hs, ok := a.storage.(HostStorage); ok {
		if imp, ok := dev.(Importer); ok {
			if st, err := imp.Import(hs); err == nil {
				c := *a
				c.storage = st
				return &c, nil
			}
		}
		src, err := a.Bytes()
		if err != nil {
			return nil, err
		}
		st, err := dev.Alloc(len(src))
		if err != nil {
			return nil, err
		}
		if err := dev.CopyFromHost(st, 0, src); err != nil {
			return nil, err
		}
		return &Array{dtype: a.dtype, shape: a.shape.Clone(), strides: a.shape.Strides(), storage: st}, nil
	}
	// Device storage: bring the touched span to the host first, then
	// re-view it and continue from there.
	buf := NewHeap((hi - lo) * es)
	if err := a.Device().CopyToHost(buf.Bytes(), a.storage, lo*es); err != nil {
		return nil, err
	}
	host := &Array{dtype: a.dtype, shape: a.shape.Clone(), strides: append([]int(nil), a.strides...), offset: a.offset - lo, storage: buf}
	if dev == CPU() {
		return host.Contiguous()
	}
	return host.moveData(dev)
}
