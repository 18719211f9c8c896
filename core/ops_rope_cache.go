package core

import "fmt"

// rope_cache: the step between a merged q/k/v projection and attention,
// as one op: the queries rotated (rope), the keys rotated and written
// into the key cache, the values written into the value cache, at the
// cache position held as device data (as write_rows). For a decode step
// that is one launch instead of rope, rope, write_rows, write_rows.
//
// Op convention: Inputs are qkv [T, (H + 2*Hkv)*D] (per row: H query
// heads, then Hkv key heads, then Hkv value heads of D values), cos and
// sin [T, D/2] (F32), pos (I32, one element), then the caches k and v
// [C, Hkv, D]; all contiguous, qkv and the caches of one float dtype.
// Attrs are RoPECacheAttrs (H). Out is the rotated queries [T, H, D].
// Like write_rows the op writes the caches in place (rows [p, p+T)); a
// position outside them is an error on the CPU, and a GPU kernel then
// writes nothing.

func init() { registerCPU("rope_cache", cpuRoPECache) }

// RoPECacheAttrs are rope_cache's parameters.
type RoPECacheAttrs struct {
	Heads int // query heads; the key and value heads are the caches'
}

func (p RoPECacheAttrs) String() string { return fmt.Sprintf("heads=%d", p.Heads) }

// RoPECacheOp splits qkv [T, (heads + 2*Hkv)*D] into queries, keys and
// values, rotates the queries and keys by the angles in cos and sin
// [T, D/2] (as RoPEOp), writes the keys and values into rows [p, p+T) of
// the caches k and v [C, Hkv, D] (p the value of pos, as WriteRowsOp) and
// returns the rotated queries [T, heads, D].
func RoPECacheOp(qkv, cos, sin, pos, k, v *Array, heads int) (*Array, error) {
	const name = "rope_cache"
	if qkv == nil || cos == nil || sin == nil || k == nil || v == nil {
		return nil, fmt.Errorf("%s: nil operand", name)
	}
	if !qkv.dtype.IsFloat() {
		return nil, unsupported(name, qkv.dtype)
	}
	for _, c := range []*Array{k, v} {
		if err := sameDType(name, qkv, c); err != nil {
			return nil, err
		}
	}
	if cos.dtype != F32 || sin.dtype != F32 {
		return nil, fmt.Errorf("%s: cos and sin tables are %v and %v, want F32", name, cos.dtype, sin.dtype)
	}
	dev, err := sameDevice(name, qkv, cos, sin, k, v)
	if err != nil {
		return nil, err
	}
	if err := checkPos(name, pos, dev); err != nil {
		return nil, err
	}
	if k.Rank() != 3 || !k.shape.Equal(v.shape) {
		return nil, fmt.Errorf("%s: caches k %v and v %v must be [C, Hkv, D] alike", name, k.shape, v.shape)
	}
	if !k.IsContiguous() || !v.IsContiguous() {
		return nil, fmt.Errorf("%s: caches k %v and v %v must be contiguous", name, k.shape, v.shape)
	}
	c, hkv, d := k.shape[0], k.shape[1], k.shape[2]
	if heads < 0 || d%2 != 0 {
		return nil, fmt.Errorf("%s: %d query heads of size %d (want a non-negative count and an even size)", name, heads, d)
	}
	if qkv.Rank() != 2 || qkv.shape[1] != (heads+2*hkv)*d {
		return nil, fmt.Errorf("%s: qkv %v must be [T, (%d + 2*%d)*%d]", name, qkv.shape, heads, hkv, d)
	}
	t := qkv.shape[0]
	if t > c {
		return nil, fmt.Errorf("%s: %d rows do not fit a cache of %d rows", name, t, c)
	}
	want := Shape{t, d / 2}
	if !cos.shape.Equal(want) || !sin.shape.Equal(want) {
		return nil, fmt.Errorf("%s: tables %v and %v must be [T, D/2] = %v", name, cos.shape, sin.shape, want)
	}
	ins, err := contiguousAll(qkv, cos, sin, pos)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	out, err := emptyOutput(dev, qkv.dtype, Shape{t, heads, d})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return runOp(&Op{Name: name, Inputs: append(ins, k, v), Out: out, Attrs: RoPECacheAttrs{Heads: heads}})
}

// ropeCacheParts returns the query, key and value columns of a
// rope_cache op's qkv as contiguous [T, heads, D] arrays on its device,
// gathered by copy ops that run calls (Run, or runCPU inside a CPU
// kernel, which must not add ops to a recording).
func ropeCacheParts(op *Op, run func(*Op) error) (q, k, v *Array, err error) {
	qkv, kc := op.Inputs[0], op.Inputs[4]
	h := op.Attrs.(RoPECacheAttrs).Heads
	t, hkv, d := qkv.shape[0], kc.shape[1], kc.shape[2]
	// qkv is contiguous: the columns of n heads from head lo are a
	// [T, n, D] view with qkv's row stride.
	part := func(lo, n int) (*Array, error) {
		c, err := Empty(qkv.Device(), qkv.dtype, Shape{t, n, d})
		if err != nil || c.NumElements() == 0 {
			return c, err
		}
		s := qkv.view(Shape{t, n, d}, []int{qkv.shape[1], d, 1}, qkv.offset+lo*d, nil)
		return c, run(&Op{Name: "copy", Inputs: []*Array{s}, Out: c})
	}
	if q, err = part(0, h); err != nil {
		return nil, nil, nil, err
	}
	if k, err = part(h, hkv); err != nil {
		return nil, nil, nil, err
	}
	if v, err = part(h+hkv, hkv); err != nil {
		return nil, nil, nil, err
	}
	return q, k, v, nil
}

// decomposeRoPECache runs rope_cache as rope, rope, write_rows,
// write_rows and a copy on the op's device.
func decomposeRoPECache(op *Op) error {
	q, k, v, err := ropeCacheParts(op, Run)
	if err != nil {
		return err
	}
	cos, sin, pos := op.Inputs[1], op.Inputs[2], op.Inputs[3]
	if k, err = RoPEOp(k, cos, sin); err != nil {
		return err
	}
	if err := WriteRowsOp(op.Inputs[4], k, pos); err != nil {
		return err
	}
	if err := WriteRowsOp(op.Inputs[5], v, pos); err != nil {
		return err
	}
	if q, err = RoPEOp(q, cos, sin); err != nil {
		return err
	}
	return Run(&Op{Name: "copy", Inputs: []*Array{q}, Out: op.Out})
}

// cpuRoPECache runs the op from the rope and write_rows CPU kernels,
// which round alike.
func cpuRoPECache(op *Op) error {
	q, k, v, err := ropeCacheParts(op, runCPU)
	if err != nil {
		return err
	}
	cos, sin, pos := op.Inputs[1], op.Inputs[2], op.Inputs[3]
	rope := func(x, out *Array) error {
		return runCPU(&Op{Name: "rope", Inputs: []*Array{x, cos, sin}, Out: out})
	}
	kr, err := Empty(CPU(), k.dtype, k.shape)
	if err != nil {
		return err
	}
	if err := rope(k, kr); err != nil {
		return err
	}
	if err := rope(q, op.Out); err != nil {
		return err
	}
	for i, src := range []*Array{kr, v} {
		if err := runCPU(&Op{Name: "write_rows", Inputs: []*Array{src, pos}, Out: op.Inputs[4+i]}); err != nil {
			return fmt.Errorf("%s: %w", op.Name, err)
		}
	}
	return nil
}
