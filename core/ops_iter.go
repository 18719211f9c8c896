package core

import (
	"fmt"
	"math"
	"slices"
	"unsafe"

	"github.com/x448/float16"
)

// The machinery every CPU kernel shares: typed access to host storage,
// a walk over strided geometry in long contiguous runs, and chunked readers
// and writers that hand kernels plain contiguous slices in a compute type
// (float32 for f16/bf16, which are converted on the way in and out).

// chunkLen bounds the scratch buffers kernels use for gathered or converted
// values, so that scratch memory does not grow with the tensor.
const chunkLen = 512

// number is the set of Go types CPU kernels compute in.
type number interface {
	float32 | float64 | int8 | uint8 | int16 | int32 | int64 | uint32
}

// floatC is the subset of number kernels use for floating-point math.
type floatC interface{ float32 | float64 }

// intC is the subset of number holding integers.
type intC interface {
	int8 | uint8 | int16 | int32 | int64 | uint32
}

// half is a 16-bit float storage type converted to float32 for compute.
type half interface {
	Float16 | BFloat16
	Float32() float32
}

// Numeric is the set of element types arithmetic ops accept: every
// Element except bool.
type Numeric interface {
	float32 | float64 | Float16 | BFloat16 | int8 | uint8 | int16 | int32 | int64 | uint32
}

// hostSlice returns a's whole storage as []T (index it with a's offset
// and strides). Kernels only see host storage: Run moves device operands
// to the host before a CPU kernel runs.
func hostSlice[T Element](a *Array) ([]T, error) {
	hs, ok := a.storage.(HostStorage)
	if !ok {
		return nil, fmt.Errorf("%v: CPU kernel needs host memory", a)
	}
	b := hs.Bytes()
	es := a.dtype.Size()
	s, err := typedSlice[T](b[:len(b)/es*es])
	if err != nil {
		return nil, fmt.Errorf("%v: %w", a, err)
	}
	return s, nil
}

// hostAligned returns a itself when its storage suits typed access, else a
// copy of the bytes it spans in fresh aligned memory, viewed with the same
// geometry. Files mapped at odd offsets are the only source of the latter.
func hostAligned(a *Array) (*Array, error) {
	hs, ok := a.storage.(HostStorage)
	if !ok {
		return nil, fmt.Errorf("%v: CPU kernel needs host memory", a)
	}
	b := hs.Bytes()
	es := a.dtype.Size()
	if len(b) == 0 || uintptr(unsafe.Pointer(&b[0]))%uintptr(es) == 0 {
		return a, nil
	}
	lo, hi := a.span()
	h := NewHeap((hi - lo) * es)
	copy(h.buf, b[lo*es:hi*es])
	c := *a
	c.storage, c.offset = h, a.offset-lo
	return &c, nil
}

// alignedOp returns op with every input passed through hostAligned; the
// original is left untouched. When every input is aligned already (the
// usual case) it is op itself: a decode step runs about a hundred such
// kernels, and the copies were two allocations each.
func alignedOp(op *Op) (*Op, error) {
	var c *Op // the copy, made at the first input that needed aligning
	for i, a := range op.Inputs {
		x, err := hostAligned(a)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op.Name, err)
		}
		if x != a && c == nil {
			cp := *op
			cp.Inputs = slices.Clone(op.Inputs)
			c = &cp
		}
		if c != nil {
			c.Inputs[i] = x
		}
	}
	if c == nil {
		return op, nil
	}
	return c, nil
}

// geom is strided geometry over several operands sharing one shape, with
// size-1 dimensions dropped and dimensions that are contiguous for every
// operand merged, so that contiguous data walks as one long run.
type geom struct {
	dims    []int   // outer..inner sizes after merging; len >= 1
	strides [][]int // per operand, aligned with dims
	// scratch for each, reused so that a reduction walking one block per
	// output element does not allocate per element; each is therefore
	// not reentrant for one geom.
	offs, run, st, idx []int
}

func newGeom(shape Shape, strides ...[]int) *geom {
	g := &geom{strides: make([][]int, len(strides))}
	for d, n := range shape {
		if n == 1 {
			continue
		}
		g.dims = append(g.dims, n)
		for i := range strides {
			g.strides[i] = append(g.strides[i], strides[i][d])
		}
	}
	if len(g.dims) == 0 {
		g.dims = []int{1}
		for i := range g.strides {
			g.strides[i] = []int{0}
		}
	}
	// Merge from the inside out: dims j-1 and j merge when every operand
	// steps over dim j-1 exactly as far as a whole run of dim j.
	for j := len(g.dims) - 1; j > 0; j-- {
		ok := true
		for i := range g.strides {
			if g.strides[i][j-1] != g.strides[i][j]*g.dims[j] {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		g.dims[j-1] *= g.dims[j]
		g.dims = append(g.dims[:j], g.dims[j+1:]...)
		for i := range g.strides {
			g.strides[i][j-1] = g.strides[i][j]
			g.strides[i] = append(g.strides[i][:j], g.strides[i][j+1:]...)
		}
	}
	return g
}

// each calls f once per innermost run: offs[i] is operand i's storage
// offset of the run's first element (starting from base[i]), st[i] its
// stride along the run and n the run length. f must not keep offs.
func (g *geom) each(base []int, f func(offs []int, n int, st []int)) {
	for _, d := range g.dims {
		if d == 0 {
			return
		}
	}
	k := len(g.strides)
	last := len(g.dims) - 1
	n := g.dims[last]
	if g.st == nil {
		g.offs, g.run, g.st, g.idx = make([]int, k), make([]int, k), make([]int, k), make([]int, last)
	}
	st, offs, run, idx := g.st, g.offs, g.run, g.idx
	for i := range k {
		st[i] = g.strides[i][last]
	}
	copy(offs, base)
	clear(idx)
	if last == 0 {
		copy(run, offs)
		f(run, n, st)
		return
	}
	for {
		copy(run, offs)
		f(run, n, st)
		d := last - 1
		for ; d >= 0; d-- {
			idx[d]++
			for i := range k {
				offs[i] += g.strides[i][d]
			}
			if idx[d] < g.dims[d] {
				break
			}
			for i := range k {
				offs[i] -= g.strides[i][d] * g.dims[d]
			}
			idx[d] = 0
		}
		if d < 0 {
			return
		}
	}
}

// forRows walks arrays of one common shape (Out first, usually) in
// innermost runs; see geom.each.
func forRows(arrs []*Array, f func(offs []int, n int, st []int)) {
	strides := make([][]int, len(arrs))
	base := make([]int, len(arrs))
	for i, a := range arrs {
		strides[i], base[i] = a.strides, a.offset
	}
	newGeom(arrs[0].shape, strides...).each(base, f)
}

// readFn returns n values starting at storage offset off with the given
// stride, in compute type C: a sub-slice of the storage when no gathering
// or conversion is needed, otherwise buf filled with them.
type readFn[C number] func(off, stride, n int, buf []C) []C

// scratch returns a buffer of n values for reader or writer to convert
// a through, or nil when a's dtype is C: contiguous arrays of the compute
// type are read and written in place (stride 1).
func scratch[C number](a *Array, n int) []C {
	if a.dtype == DTypeOf[C]() {
		return nil
	}
	return make([]C, n)
}

// reader builds the readFn for a in compute type C, which must be a's own
// element type or float32 for f16/bf16 (and uint8 for bool).
func reader[C number](a *Array) (readFn[C], error) {
	var z C
	if _, ok := any(z).(float32); ok {
		switch a.dtype {
		case F16:
			s, err := hostSlice[Float16](a)
			if err != nil {
				return nil, err
			}
			return any(readHalf(s)).(readFn[C]), nil
		case BF16:
			s, err := hostSlice[BFloat16](a)
			if err != nil {
				return nil, err
			}
			return any(readHalf(s)).(readFn[C]), nil
		}
	}
	if _, ok := any(z).(uint8); ok && a.dtype == Bool {
		s, err := hostSlice[uint8](a)
		if err != nil {
			return nil, err
		}
		return any(readSame(s)).(readFn[C]), nil
	}
	if a.dtype != DTypeOf[C]() {
		return nil, fmt.Errorf("%v: cannot read as %v", a, DTypeOf[C]())
	}
	s, err := hostSlice[C](a)
	if err != nil {
		return nil, err
	}
	return readSame(s), nil
}

func readSame[C number](s []C) readFn[C] {
	return func(off, stride, n int, buf []C) []C {
		if stride == 1 {
			return s[off : off+n]
		}
		buf = buf[:n]
		for i := range buf {
			buf[i] = s[off]
			off += stride
		}
		return buf
	}
}

func readHalf[S half](s []S) readFn[float32] {
	return func(off, stride, n int, buf []float32) []float32 {
		buf = buf[:n]
		for i := range buf {
			buf[i] = s[off].Float32()
			off += stride
		}
		return buf
	}
}

// writeFn stores vals at storage offset off with the given stride.
type writeFn[C number] func(off, stride int, vals []C)

// writer returns, for output a in compute type C, a function giving the
// slice a kernel should fill for n values at off (the storage itself when
// the types match and the stride is 1, else buf) and the function that
// stores that slice (a no-op in the direct case).
func writer[C number](a *Array) (get func(off, stride, n int, buf []C) []C, put writeFn[C], err error) {
	var z C
	if _, ok := any(z).(float32); ok && (a.dtype == F16 || a.dtype == BF16) {
		var p writeFn[float32]
		if a.dtype == F16 {
			s, err := hostSlice[Float16](a)
			if err != nil {
				return nil, nil, err
			}
			p = func(off, stride int, vals []float32) {
				for _, v := range vals {
					s[off] = float16.Fromfloat32(v)
					off += stride
				}
			}
		} else {
			s, err := hostSlice[BFloat16](a)
			if err != nil {
				return nil, nil, err
			}
			p = func(off, stride int, vals []float32) {
				for _, v := range vals {
					s[off] = BFloat16FromFloat32(v)
					off += stride
				}
			}
		}
		return func(_, _, n int, buf []C) []C { return buf[:n] }, any(p).(writeFn[C]), nil
	}
	if a.dtype != DTypeOf[C]() {
		return nil, nil, fmt.Errorf("%v: cannot write as %v", a, DTypeOf[C]())
	}
	s, err := hostSlice[C](a)
	if err != nil {
		return nil, nil, err
	}
	get = func(off, stride, n int, buf []C) []C {
		if stride == 1 {
			return s[off : off+n]
		}
		return buf[:n]
	}
	put = func(off, stride int, vals []C) {
		if stride == 1 {
			return // filled in place
		}
		for _, v := range vals {
			s[off] = v
			off += stride
		}
	}
	return get, put, nil
}

// floatKernel runs a float-only CPU kernel: inputs made typed-accessible
// (alignedOp), then the float32 instantiation for F32/F16/BF16 inputs or
// the float64 one for F64.
func floatKernel(op *Op, f32, f64 func(*Op) error) error {
	op, err := alignedOp(op)
	if err != nil {
		return err
	}
	switch d := op.Inputs[0].dtype; computeType(d) {
	case F32:
		return f32(op)
	case F64:
		return f64(op)
	default:
		return unsupported(op.Name, d)
	}
}

// computeType names the compute type a kernel uses for dtype d, for
// dispatch switches: f16/bf16 compute in f32.
func computeType(d DType) DType {
	if d == F16 || d == BF16 {
		return F32
	}
	return d
}

// isNaN reports whether x is a NaN; always false for integers.
func isNaN[C number](x C) bool { return math.IsNaN(float64(x)) }
