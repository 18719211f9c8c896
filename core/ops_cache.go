package core

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Ops for a preallocated key/value cache whose write position is device
// data: write_rows stores a step's rows at the position, cached_attention
// attends over the rows before and including them. Because the position
// is read from an array (I32, one element) when the op runs, a recorded
// graph (Record) replays a decode step at every new position without
// being recorded again.

func init() {
	registerCPU("write_rows", cpuWriteRows)
	registerCPU("cached_attention", cpuCachedAttention)
}

// checkPos checks that pos is one I32 element on dev.
func checkPos(name string, pos *Array, dev Device) error {
	switch {
	case pos == nil:
		return fmt.Errorf("%s: nil position", name)
	case pos.dtype != I32 || pos.NumElements() != 1:
		return fmt.Errorf("%s: position must be one I32 element, got %v %v", name, pos.dtype, pos.shape)
	case pos.Device() != dev:
		return fmt.Errorf("%s: position is on %s, the operands on %s", name, pos.Device().Name(), dev.Name())
	}
	return nil
}

// WriteRowsOp writes src [T, ...] into rows [p, p+T) of dst [C, ...],
// where p is the value of pos (I32, one element, on dst's device), in
// place. dst must be contiguous; src must match dst's dtype and trailing
// dimensions. A position that puts the rows outside dst is an error on
// the CPU; a GPU kernel writes nothing then, so callers check the
// position they store (the cache knows its length).
func WriteRowsOp(dst, src, pos *Array) error {
	if dst == nil || src == nil {
		return fmt.Errorf("write_rows: nil operand")
	}
	if err := sameDType("write_rows", dst, src); err != nil {
		return err
	}
	dev, err := sameDevice("write_rows", dst, src)
	if err != nil {
		return err
	}
	if err := checkPos("write_rows", pos, dev); err != nil {
		return err
	}
	if dst.Rank() < 1 || src.Rank() != dst.Rank() || !src.shape[1:].Equal(dst.shape[1:]) || src.shape[0] > dst.shape[0] {
		return fmt.Errorf("write_rows: src %v does not fit rows of dst %v", src.shape, dst.shape)
	}
	if !dst.IsContiguous() {
		return fmt.Errorf("write_rows: dst %v is not contiguous", dst.shape)
	}
	ins, err := contiguousAll(src, pos)
	if err != nil {
		return fmt.Errorf("write_rows: %w", err)
	}
	return Run(&Op{Name: "write_rows", Inputs: ins, Out: dst})
}

// CachedAttentionOp attends queries q [Tq, Hq, D] at positions p..p+Tq-1
// (p the value of pos, I32, one element) to the first p+Tq rows of the
// caches k and v [C, Hkv, D], with a causal mask: what CausalAttentionOp
// computes on k[:p+Tq] and v[:p+Tq], the length read from device data.
// ap is the scale and, where set, the sliding window and soft cap, as in
// AttentionOp: with a window, query i sees only the Window rows ending
// at its position p+i.
func CachedAttentionOp(q, k, v, pos *Array, ap AttentionParams) (*Array, error) {
	scale := ap.Scale
	if q == nil || k == nil || v == nil {
		return nil, fmt.Errorf("cached_attention: nil operand")
	}
	if !q.dtype.IsFloat() {
		return nil, unsupported("cached_attention", q.dtype)
	}
	if err := sameDType("cached_attention", q, k); err != nil {
		return nil, err
	}
	if err := sameDType("cached_attention", q, v); err != nil {
		return nil, err
	}
	dev, err := sameDevice("cached_attention", q, k, v)
	if err != nil {
		return nil, err
	}
	if err := checkPos("cached_attention", pos, dev); err != nil {
		return nil, err
	}
	if q.Rank() != 3 || k.Rank() != 3 || !k.shape.Equal(v.shape) {
		return nil, fmt.Errorf("cached_attention: q %v, k %v and v %v must be [T, H, D] with k and v alike", q.shape, k.shape, v.shape)
	}
	tq, hq, d := q.shape[0], q.shape[1], q.shape[2]
	c, hkv := k.shape[0], k.shape[1]
	switch {
	case k.shape[2] != d:
		return nil, fmt.Errorf("cached_attention: head size of q %v and k %v differ", q.shape, k.shape)
	case tq > c:
		return nil, fmt.Errorf("cached_attention: %d queries do not fit a cache of %d rows", tq, c)
	case hkv == 0 && hq != 0, hkv != 0 && hq%hkv != 0:
		return nil, fmt.Errorf("cached_attention: %d key/value heads do not divide %d query heads", hkv, hq)
	case math.IsNaN(scale) || math.IsInf(scale, 0):
		return nil, fmt.Errorf("cached_attention: scale %v is not finite", scale)
	}
	if err := ap.check("cached_attention"); err != nil {
		return nil, err
	}
	ins, err := contiguousAll(q, k, v, pos)
	if err != nil {
		return nil, fmt.Errorf("cached_attention: %w", err)
	}
	out, err := emptyOutput(dev, q.dtype, q.shape)
	if err != nil {
		return nil, fmt.Errorf("cached_attention: %w", err)
	}
	return runOp(attentionOpOf("cached_attention", ins, out, ap))
}

// hostPos reads the position of a host I32 array.
func hostPos(name string, pos *Array) (int, error) {
	hs, ok := pos.storage.(HostStorage)
	if !ok {
		return 0, fmt.Errorf("%s: position is not in host memory", name)
	}
	return int(int32(binary.LittleEndian.Uint32(hs.Bytes()[pos.offset*4:]))), nil
}

func cpuWriteRows(op *Op) error {
	src, pos, dst := op.Inputs[0], op.Inputs[1], op.Out
	p, err := hostPos(op.Name, pos)
	if err != nil {
		return err
	}
	t, c := src.shape[0], dst.shape[0]
	if p < 0 || p+t > c {
		return fmt.Errorf("write_rows: rows [%d, %d) are outside the %d rows of dst", p, p+t, c)
	}
	if src.NumElements() == 0 {
		return nil
	}
	db, sb, row, err := hostRowBytes(op.Name, dst, src)
	if err != nil {
		return err
	}
	copy(db[p*row:][:t*row], sb[:t*row])
	return nil
}

// hostRowBytes returns the bytes of dst (writable) and src from their
// offsets on, both in host memory, and the bytes of one row of dst: what
// the CPU's row writers (write_rows, scatter_rows) copy between.
func hostRowBytes(name string, dst, src *Array) (db, sb []byte, row int, err error) {
	ds, ok := dst.storage.(HostStorage)
	if !ok || !ds.Writable() {
		return nil, nil, 0, fmt.Errorf("%s: dst is not writable host memory", name)
	}
	ss, ok := src.storage.(HostStorage)
	if !ok {
		return nil, nil, 0, fmt.Errorf("%s: src is not in host memory", name)
	}
	es := dst.dtype.Size()
	row = dst.NumElements() / dst.shape[0] * es
	return ds.Bytes()[dst.offset*es:], ss.Bytes()[src.offset*es:], row, nil
}

func cpuCachedAttention(op *Op) error {
	q, k, v, pos := op.Inputs[0], op.Inputs[1], op.Inputs[2], op.Inputs[3]
	p, err := hostPos(op.Name, pos)
	if err != nil {
		return err
	}
	tq, c := q.shape[0], k.shape[0]
	if p < 0 || p+tq > c {
		return fmt.Errorf("cached_attention: %d queries at position %d overrun the %d cached rows", tq, p, c)
	}
	ks, err := k.Slice(0, 0, p+tq, 1)
	if err != nil {
		return err
	}
	vs, err := v.Slice(0, 0, p+tq, 1)
	if err != nil {
		return err
	}
	sub := &Op{Name: op.Name, Inputs: []*Array{q, ks, vs}, Out: op.Out, Param: op.Param, Params: op.Params, Attrs: op.Attrs}
	return floatKernel(sub, attentionKernel[float32], attentionKernel[float64])
}
