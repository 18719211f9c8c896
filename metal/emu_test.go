package metal

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/lbrx/lbrx/core"
	"github.com/stretchr/testify/require"
)

// A device that runs the op planner's dispatches through a Go model of
// the f32 kernels' ABI (metal/shaders/README.md): it reads each kernel's
// params and buffer bindings exactly as the kernel would. Core's public
// ops on it go through the same Execute path as on the GPU, so comparing
// them with the CPU checks the planner (kernel choice, offsets, strides,
// leading dimensions, batch strides) against core's conventions on any
// OS.

type emuStorage struct {
	dev *emuDevice
	b   []byte
}

func (s *emuStorage) Device() core.Device { return s.dev }
func (s *emuStorage) Len() int            { return len(s.b) }

type emuDevice struct {
	mu         sync.Mutex
	dispatches map[string]int
}

var emu = &emuDevice{dispatches: map[string]int{}}

func init() { core.Register(emu) }

func (*emuDevice) Name() string        { return "metal-emu" }
func (*emuDevice) Kind() string        { return "metal-emu" }
func (*emuDevice) Priority() int       { return -1 }
func (*emuDevice) Status() core.Status { return core.Status{Available: true} }
func (*emuDevice) Sync() error         { return nil }

func (d *emuDevice) Alloc(n int) (core.Storage, error) {
	return &emuStorage{dev: d, b: make([]byte, n)}, nil
}

func (d *emuDevice) CopyFromHost(dst core.Storage, off int, src []byte) error {
	copy(dst.(*emuStorage).b[off:], src)
	return nil
}

func (d *emuDevice) CopyToHost(dst []byte, src core.Storage, off int) error {
	copy(dst, src.(*emuStorage).b[off:])
	return nil
}

// emuKernels are the f32 kernels the model implements.
var emuKernels = map[string]bool{
	"binary_add_f32": true, "binary_mul_f32": true, "unary_neg_f32": true, "unary_exp_f32": true,
	"reduce_sum_f32": true, "reduce_max_f32": true, "softmax_f32": true, "matmul_f32": true,
	"rms_norm_f32": true, "rope_f32": true, "causal_attention_f32": true, "concat_x32": true,
}

func (d *emuDevice) Execute(op *core.Op) error {
	ds, err := planOp(op, false)
	if err != nil {
		return err
	}
	for _, k := range ds {
		if !emuKernels[k.kernel] {
			return unsupportedf("emulator has no %s", k.kernel)
		}
	}
	for i := range ds {
		if err := emuRun(&ds[i]); err != nil {
			return err
		}
		d.mu.Lock()
		d.dispatches[ds[i].kernel]++
		d.mu.Unlock()
	}
	return nil
}

// f32 buffer access relative to a binding's byte offset.
type f32buf struct {
	b   []byte
	off int
}

func (f f32buf) at(i int) float32 {
	return math.Float32frombits(binary.LittleEndian.Uint32(f.b[f.off+4*i:]))
}
func (f f32buf) set(i int, v float32) {
	binary.LittleEndian.PutUint32(f.b[f.off+4*i:], math.Float32bits(v))
}

func emuRun(d *dispatch) error {
	bufs := map[int]f32buf{}
	for _, a := range d.bufs {
		bufs[a.index] = f32buf{b: a.st.(*emuStorage).b, off: a.byteOff}
	}
	l, err := d.launch(1024, 32)
	if err != nil {
		return err
	}
	if err := checkLaunch(l, 1024); err != nil {
		return err
	}
	switch {
	case strings.HasPrefix(d.kernel, "unary_"):
		p := decodeP[UnaryParams](d.params)
		in, out := bufs[0], bufs[1]
		for i := range int(p.N) {
			x := in.at(int(p.Offset) + stridedIndex(i, p.Shape[:p.Rank], p.Strides[:p.Rank]))
			if d.kernel == "unary_neg_f32" {
				out.set(i, -x)
			} else {
				out.set(i, float32(math.Exp(float64(x))))
			}
		}
	case strings.HasPrefix(d.kernel, "binary_"):
		p := decodeP[BinaryParams](d.params)
		a, b, out := bufs[0], bufs[1], bufs[2]
		for i := range int(p.N) {
			x := a.at(int(p.AOffset) + stridedIndex(i, p.Shape[:p.Rank], p.AStrides[:p.Rank]))
			y := b.at(int(p.BOffset) + stridedIndex(i, p.Shape[:p.Rank], p.BStrides[:p.Rank]))
			if d.kernel == "binary_add_f32" {
				out.set(i, x+y)
			} else {
				out.set(i, x*y)
			}
		}
	case strings.HasPrefix(d.kernel, "reduce_"), d.kernel == "softmax_f32":
		p := decodeP[ReduceParams](d.params)
		in, out := bufs[0], bufs[1]
		for r := range int(p.Rows) {
			row := make([]float64, p.Cols)
			for j := range row {
				row[j] = float64(in.at(r*int(p.RowStride) + j))
			}
			switch d.kernel {
			case "reduce_sum_f32":
				s := 0.0
				for _, v := range row {
					s += v
				}
				out.set(r, float32(s))
			case "reduce_max_f32":
				m := math.Inf(-1)
				for _, v := range row {
					m = math.Max(m, v)
				}
				out.set(r, float32(m))
			default:
				m := math.Inf(-1)
				for _, v := range row {
					m = math.Max(m, v)
				}
				s := 0.0
				for _, v := range row {
					s += math.Exp(v - m)
				}
				for j, v := range row {
					out.set(r*int(p.Cols)+j, float32(math.Exp(v-m)/s))
				}
			}
		}
	case d.kernel == "matmul_f32":
		p := decodeP[MatmulParams](d.params)
		a, b, c := bufs[0], bufs[1], bufs[2]
		for z := range int(p.Batch) {
			for m := range int(p.M) {
				for n := range int(p.N) {
					s := 0.0
					for k := range int(p.K) {
						ai := m*int(p.LDA) + k
						if p.Flags&TransA != 0 {
							ai = k*int(p.LDA) + m
						}
						bi := k*int(p.LDB) + n
						if p.Flags&TransB != 0 {
							bi = n*int(p.LDB) + k
						}
						s += float64(a.at(z*int(p.ABatchStride)+ai)) * float64(b.at(z*int(p.BBatchStride)+bi))
					}
					c.set(z*int(p.CBatchStride)+m*int(p.LDC)+n, float32(s))
				}
			}
		}
	case d.kernel == "rms_norm_f32":
		emuRMSNorm(decodeP[RMSNormParams](d.params), bufs[0], bufs[1], bufs[2])
	case d.kernel == "rope_f32":
		emuRoPE(decodeP[RoPEParams](d.params), bufs[0], bufs[1], bufs[2], bufs[3])
	case d.kernel == "causal_attention_f32":
		emuAttention(decodeP[AttentionParams](d.params), bufs[0], bufs[1], bufs[2], bufs[3])
	case d.kernel == "concat_x32":
		emuConcat(decodeP[ConcatParams](d.params), bufs[0], bufs[1])
	default:
		return fmt.Errorf("emulator: %s", d.kernel)
	}
	return nil
}

// stridedIndex is the input offset of output element i (row-major over
// shape) for the given strides.
func stridedIndex(i int, shape []uint32, strides []int32) int {
	off := 0
	for d := len(shape) - 1; d >= 0; d-- {
		n := int(shape[d])
		off += (i % n) * int(strides[d])
		i /= n
	}
	return off
}

func decodeP[P any](b []byte) P {
	var p P
	if _, err := binary.Decode(b, binary.LittleEndian, &p); err != nil {
		panic(err)
	}
	return p
}

// in is an operand: base data and the view taken of it on each device
// (views must be made after the move: To makes a moved view contiguous).
type in struct {
	base *core.Array
	view func(*core.Array) (*core.Array, error)
}

func (o in) on(t *testing.T, dev core.Device) *core.Array {
	t.Helper()
	a, err := o.base.To(dev)
	require.NoError(t, err)
	if o.view != nil {
		a, err = o.view(a)
		require.NoError(t, err)
	}
	return a
}

// onBoth runs f on CPU operands and on the same operands on the emulated
// device, and compares the results.
func onBoth(t *testing.T, name string, f func(in []*core.Array) (*core.Array, error), ins ...in) {
	t.Helper()
	host, dev := make([]*core.Array, len(ins)), make([]*core.Array, len(ins))
	for i, o := range ins {
		host[i], dev[i] = o.on(t, core.CPU()), o.on(t, emu)
	}
	want, err := f(host)
	require.NoError(t, err, name)
	got, err := f(dev)
	require.NoError(t, err, name)
	require.Equal(t, emu, got.Device(), name)
	require.Equal(t, want.Shape(), got.Shape(), name)
	wv, gv := values(t, want), values(t, got)
	for i := range wv {
		require.InDelta(t, wv[i], gv[i], 1e-5*(1+math.Abs(float64(wv[i]))), "%s [%d]", name, i)
	}
}

func TestPlannerMatchesCoreOnEmulatedDevice(t *testing.T) {
	mk := func(shape ...int) in {
		n := numel(shape)
		v := make([]float32, n)
		for i := range v {
			v[i] = float32((i*7)%13) - 6
		}
		return in{base: hostArray(t, core.F32, v, shape...)}
	}
	with := func(o in, view func(*core.Array) (*core.Array, error)) in { o.view = view; return o }
	base := mk(4, 6, 5)
	tr := with(base, func(a *core.Array) (*core.Array, error) { return a.Permute(2, 0, 1) })  // [5,4,6]
	sl := with(base, func(a *core.Array) (*core.Array, error) { return a.Slice(1, 1, 6, 2) }) // [4,3,5]
	bc := with(mk(1, 5), func(a *core.Array) (*core.Array, error) { return a.BroadcastTo(core.Shape{4, 3, 5}) })
	tT := func(a *core.Array) (*core.Array, error) { return a.T() }
	unOp := func(name string) func([]*core.Array) (*core.Array, error) {
		return func(in []*core.Array) (*core.Array, error) { return core.UnaryOp(name, in[0]) }
	}
	binOp := func(name string) func([]*core.Array) (*core.Array, error) {
		return func(in []*core.Array) (*core.Array, error) { return core.BinaryOp(name, in[0], in[1]) }
	}
	onBoth(t, "neg transposed", unOp("neg"), tr)
	onBoth(t, "exp sliced", unOp("exp"), sl)
	onBoth(t, "add sliced+broadcast", binOp("add"), sl, bc)
	onBoth(t, "mul broadcast", binOp("mul"), mk(3, 1), mk(1, 4))
	for _, axes := range [][]int{{2}, {1, 2}, {0, 1, 2}} {
		onBoth(t, fmt.Sprintf("sum %v", axes), func(in []*core.Array) (*core.Array, error) {
			return core.ReduceOp("sum", in[0], axes, true)
		}, base)
	}
	onBoth(t, "max rows of a slice", func(in []*core.Array) (*core.Array, error) {
		return core.ReduceOp("max", in[0], []int{2}, false)
	}, sl)
	onBoth(t, "softmax", func(in []*core.Array) (*core.Array, error) {
		return core.SoftmaxOp("softmax", in[0], -1)
	}, base)
	mm := func(in []*core.Array) (*core.Array, error) { return core.MatMulOp(in[0], in[1]) }
	a := mk(2, 3, 4)
	onBoth(t, "matmul batched x 2-D", mm, a, mk(4, 5))
	onBoth(t, "matmul A^T", mm, with(mk(4, 3), tT), mk(4, 2))
	onBoth(t, "matmul B^T batched", mm, a, with(mk(2, 5, 4), func(a *core.Array) (*core.Array, error) { return a.Transpose(1, 2) }))
	onBoth(t, "matmul A^T B^T", mm, with(mk(5, 3), tT), with(mk(2, 5), tT))
	onBoth(t, "matmul uneven batch", mm, with(mk(2, 4, 3, 4), func(a *core.Array) (*core.Array, error) { return a.Slice(1, 0, 3, 1) }), mk(4, 2))
	onBoth(t, "matmul offset operand", mm, with(mk(6, 4), func(a *core.Array) (*core.Array, error) { return a.Slice(0, 2, 5, 1) }), mk(4, 3))

	emu.mu.Lock()
	defer emu.mu.Unlock()
	for _, k := range []string{"unary_neg_f32", "unary_exp_f32", "binary_add_f32", "binary_mul_f32", "reduce_sum_f32", "reduce_max_f32", "softmax_f32", "matmul_f32"} {
		require.Positive(t, emu.dispatches[k], "%s was dispatched, not run by the CPU fallback", k)
	}
}
