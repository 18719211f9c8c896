package integration

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
	_ "github.com/lbrx/lbrx/cuda"  // registers the CUDA devices
	_ "github.com/lbrx/lbrx/metal" // registers the Metal device
	"github.com/lbrx/lbrx/quant"   // also registers the CPU quantized matmul
)

// parityCase is one op run on the CPU and on a device with the same inputs.
type parityCase struct {
	name   string
	inputs func(r *rand.Rand) ([]*core.Array, error)
	op     func(in []*core.Array) (*core.Array, error)
	// tol bounds max|device-cpu| / max(1, max|cpu|).
	tol float64
	// native says every GPU backend has a kernel for the op: running it
	// on the CPU instead is an error.
	native bool
}

func randArray(r *rand.Rand, dt core.DType, shape ...int) (*core.Array, error) {
	v := make([]float32, core.Shape(shape).NumElements())
	for i := range v {
		v[i] = r.Float32()*4 - 2
	}
	t, err := core.FromSlice(v, shape...)
	if err != nil {
		return nil, err
	}
	if dt == core.F32 {
		return t.Array(), nil
	}
	return core.CastOp(t.Array(), dt)
}

// inputsOf builds float inputs of the given shapes.
func inputsOf(dt core.DType, shapes ...[]int) func(r *rand.Rand) ([]*core.Array, error) {
	return func(r *rand.Rand) ([]*core.Array, error) {
		out := make([]*core.Array, len(shapes))
		for i, s := range shapes {
			a, err := randArray(r, dt, s...)
			if err != nil {
				return nil, err
			}
			out[i] = a
		}
		return out, nil
	}
}

func parityCases() []parityCase {
	var cases []parityCase
	for _, dt := range []core.DType{core.F32, core.F16, core.BF16} {
		tol := 1e-5
		if dt != core.F32 {
			tol = 1e-2 // one rounding of the half-precision result
		}
		for _, op := range []string{"add", "sub", "mul", "div", "maximum", "minimum"} {
			cases = append(cases, parityCase{
				name: fmt.Sprintf("%s/%v/broadcast", op, dt), tol: tol,
				inputs: inputsOf(dt, []int{3, 1, 37}, []int{5, 37}),
				op:     func(in []*core.Array) (*core.Array, error) { return core.BinaryOp(op, in[0], in[1]) },
			})
		}
		cases = append(cases, parityCase{
			name: fmt.Sprintf("rms_norm/%v", dt), tol: tol,
			inputs: inputsOf(dt, []int{5, 3, 96}, []int{96}),
			op:     func(in []*core.Array) (*core.Array, error) { return core.RMSNormOp(in[0], in[1], 1e-5) },
		}, parityCase{
			name: fmt.Sprintf("rope/%v", dt), tol: tol,
			inputs: func(r *rand.Rand) ([]*core.Array, error) {
				x, err := randArray(r, dt, 6, 4, 34)
				if err != nil {
					return nil, err
				}
				c, err := randArray(r, core.F32, 6, 17)
				if err != nil {
					return nil, err
				}
				sn, err := randArray(r, core.F32, 6, 17)
				return []*core.Array{x, c, sn}, err
			},
			op: func(in []*core.Array) (*core.Array, error) { return core.RoPEOp(in[0], in[1], in[2]) },
		}, parityCase{
			name: fmt.Sprintf("causal_attention/%v/prefill", dt), tol: max(tol, 1e-4),
			inputs: inputsOf(dt, []int{9, 8, 64}, []int{9, 2, 64}, []int{9, 2, 64}),
			op:     func(in []*core.Array) (*core.Array, error) { return core.CausalAttentionOp(in[0], in[1], in[2], 0.125) },
		}, parityCase{
			name: fmt.Sprintf("causal_attention/%v/decode", dt), tol: max(tol, 1e-4),
			inputs: inputsOf(dt, []int{1, 6, 40}, []int{37, 3, 40}, []int{37, 3, 40}),
			op:     func(in []*core.Array) (*core.Array, error) { return core.CausalAttentionOp(in[0], in[1], in[2], 0.2) },
		}, parityCase{
			name: fmt.Sprintf("causal_attention/%v/sliding-window-soft-cap-prefill", dt), tol: max(tol, 1e-4), native: true,
			inputs: inputsOf(dt, []int{11, 8, 64}, []int{11, 2, 64}, []int{11, 2, 64}),
			op: func(in []*core.Array) (*core.Array, error) {
				return core.AttentionOp(in[0], in[1], in[2], core.AttentionParams{Scale: 0.5, Window: 4, SoftCap: 3})
			},
		}, parityCase{
			name: fmt.Sprintf("causal_attention/%v/sliding-window-decode-across-chunk", dt), tol: max(tol, 1e-4), native: true,
			inputs: inputsOf(dt, []int{1, 4, 32}, []int{1500, 2, 32}, []int{1500, 2, 32}),
			op: func(in []*core.Array) (*core.Array, error) {
				return core.AttentionOp(in[0], in[1], in[2], core.AttentionParams{Scale: 0.2, Window: 1100})
			},
		})
		for _, op := range []string{"neg", "abs", "exp", "sin", "cos", "tanh", "sigmoid", "relu", "gelu", "gelu_tanh", "silu"} {
			cases = append(cases, parityCase{
				name: fmt.Sprintf("%s/%v", op, dt), tol: tol,
				inputs: inputsOf(dt, []int{7, 129}),
				op:     func(in []*core.Array) (*core.Array, error) { return core.UnaryOp(op, in[0]) },
			})
		}
		for _, op := range []string{"sum", "mean", "max", "min"} {
			cases = append(cases, parityCase{
				name: fmt.Sprintf("%s/%v/last-axis", op, dt), tol: max(tol, 1e-4),
				inputs: inputsOf(dt, []int{9, 1000}),
				op:     func(in []*core.Array) (*core.Array, error) { return core.ReduceOp(op, in[0], []int{-1}, false) },
			})
		}
		cases = append(cases,
			parityCase{
				name: fmt.Sprintf("softmax/%v", dt), tol: tol,
				inputs: inputsOf(dt, []int{4, 3, 1000}),
				op:     func(in []*core.Array) (*core.Array, error) { return core.SoftmaxOp("softmax", in[0], -1) },
			},
			parityCase{
				name: fmt.Sprintf("matmul/%v/edge-tiles", dt), tol: max(tol, 1e-4),
				inputs: inputsOf(dt, []int{67, 129}, []int{129, 33}),
				op:     func(in []*core.Array) (*core.Array, error) { return core.MatMulOp(in[0], in[1]) },
			},
			parityCase{
				name: fmt.Sprintf("matmul/%v/transposed-batched", dt), tol: max(tol, 1e-4),
				inputs: inputsOf(dt, []int{2, 65, 17}, []int{31, 65}),
				op: func(in []*core.Array) (*core.Array, error) {
					at, err := in[0].T() // [2, 17, 65], not contiguous
					if err != nil {
						return nil, err
					}
					bt, err := in[1].T() // [65, 31], not contiguous
					if err != nil {
						return nil, err
					}
					return core.MatMulOp(at, bt)
				},
			},
		)
	}
	cases = append(cases,
		parityCase{
			name: "cast/f32-to-f16", tol: 1e-3,
			inputs: inputsOf(core.F32, []int{1000}),
			op:     func(in []*core.Array) (*core.Array, error) { return core.CastOp(in[0], core.F16) },
		},
		parityCase{
			name: "cast/f32-to-bf16", tol: 1e-2,
			inputs: inputsOf(core.F32, []int{1000}),
			op:     func(in []*core.Array) (*core.Array, error) { return core.CastOp(in[0], core.BF16) },
		},
		parityCase{
			name: "copy/permuted-view", tol: 0,
			inputs: inputsOf(core.F32, []int{3, 5, 7}),
			op: func(in []*core.Array) (*core.Array, error) {
				p, err := in[0].Permute(2, 0, 1)
				if err != nil {
					return nil, err
				}
				return p.Contiguous()
			},
		},
		parityCase{
			name: "concat/axis1", tol: 0,
			inputs: inputsOf(core.F32, []int{4, 3}, []int{4, 5}),
			op:     func(in []*core.Array) (*core.Array, error) { return core.ConcatOp(1, in[0], in[1]) },
		},
		parityCase{
			name: "concat/axis0/kv-cache", tol: 0,
			inputs: inputsOf(core.BF16, []int{7, 2, 16}, []int{1, 2, 16}),
			op:     func(in []*core.Array) (*core.Array, error) { return core.ConcatOp(0, in[0], in[1]) },
		},
		parityCase{
			name: "concat/axis2/strided", tol: 0,
			inputs: inputsOf(core.F32, []int{3, 4, 5}, []int{3, 4, 4}),
			op: func(in []*core.Array) (*core.Array, error) {
				p, err := in[0].Permute(0, 1, 2)
				if err != nil {
					return nil, err
				}
				s, err := in[1].Slice(2, 0, 4, 2) // every other column
				if err != nil {
					return nil, err
				}
				return core.ConcatOp(2, p, s)
			},
		},
	)
	for _, q := range []struct {
		name     string
		quantize func(w *core.Array) (*core.Array, error)
	}{
		{"affine4-g64", func(w *core.Array) (*core.Array, error) { return quant.Quantize(w, 4, 64) }},
		{"affine8-g32", func(w *core.Array) (*core.Array, error) { return quant.Quantize(w, 8, 32) }},
		{"q8_0", func(w *core.Array) (*core.Array, error) { return quant.QuantizeBlocks(w, core.SchemeQ8_0) }},
		{"q4_0", func(w *core.Array) (*core.Array, error) { return quant.QuantizeBlocks(w, core.SchemeQ4_0) }},
	} {
		for _, m := range []int{1, 5} {
			cases = append(cases, parityCase{
				name: fmt.Sprintf("quantized_matmul/%s/m%d", q.name, m), tol: 1e-4,
				inputs: func(r *rand.Rand) ([]*core.Array, error) {
					in, err := inputsOf(core.F32, []int{m, 256}, []int{67, 256})(r)
					if err != nil {
						return nil, err
					}
					w, err := q.quantize(in[1])
					if err != nil {
						return nil, err
					}
					return []*core.Array{in[0], w}, nil
				},
				op: func(in []*core.Array) (*core.Array, error) { return core.QuantizedMatMulOp(in[0], in[1]) },
			})
		}
	}
	return cases
}

// toF64 reads an array back to the host as float64 values.
func toF64(a *core.Array) ([]float64, error) {
	f, err := core.CastOp(a, core.F64)
	if err != nil {
		return nil, err
	}
	if f, err = f.To(core.CPU()); err != nil {
		return nil, err
	}
	t, err := core.As[float64](f)
	if err != nil {
		return nil, err
	}
	return t.Values()
}

// TestParity runs every op on every available device and compares it with
// the CPU. Unavailable devices are skipped with the reason they give.
func TestParity(t *testing.T) {
	for _, dev := range core.Devices() {
		t.Run(dev.Name(), func(t *testing.T) {
			if st := dev.Status(); !st.Available {
				t.Skipf("device %s unavailable: %s", dev.Name(), st.Reason)
			}
			for _, c := range parityCases() {
				t.Run(c.name, func(t *testing.T) {
					r := rand.New(rand.NewPCG(7, uint64(len(c.name))))
					in, err := c.inputs(r)
					require.NoError(t, err)
					want, err := c.op(in)
					require.NoError(t, err)

					dIn := make([]*core.Array, len(in))
					for i, a := range in {
						dIn[i], err = a.To(dev)
						require.NoError(t, err)
					}
					before := core.Fallbacks()
					got, err := c.op(dIn)
					require.NoError(t, err)
					assert.Equal(t, dev, got.Device(), "result stays on the device")
					if c.native && dev != core.CPU() {
						for op, n := range core.Fallbacks() {
							if n > before[op] && strings.HasPrefix(op, dev.Name()+"/") {
								t.Errorf("%s ran on the CPU instead of %s ×%d", op, dev.Name(), n-before[op])
							}
						}
					}
					back, err := got.To(core.CPU())
					require.NoError(t, err)
					require.Equal(t, want.Shape(), back.Shape())
					require.Equal(t, want.DType(), back.DType())

					w, err := toF64(want)
					require.NoError(t, err)
					g, err := toF64(back)
					require.NoError(t, err)
					scale := 1.0
					for _, v := range w {
						scale = max(scale, math.Abs(v))
					}
					for i := range w {
						if d := math.Abs(g[i] - w[i]); !(d <= c.tol*scale) {
							t.Fatalf("%s on %s: element %d is %g, CPU %g (|diff| %g > %g)", c.name, dev.Name(), i, g[i], w[i], d, c.tol*scale)
						}
					}
				})
			}
		})
	}
}

// TestMetadataSurvivesRoundTrip moves a tensor with names and quantization
// info to every available device and back.
func TestMetadataSurvivesRoundTrip(t *testing.T) {
	codes, err := core.FromSlice([]uint32{0x76543210, 0xfedcba98}, 1, 2)
	require.NoError(t, err)
	scales, err := core.FromSlice([]float32{0.5}, 1, 1)
	require.NoError(t, err)
	biases, err := core.FromSlice([]float32{-4}, 1, 1)
	require.NoError(t, err)
	q := &core.QuantizationInfo{Scheme: core.SchemeAffine, Bits: 4, GroupSize: 32, Shape: core.Shape{1, 16},
		Scales: scales.Array(), Biases: biases.Array()}
	w, err := codes.WithMetadata(core.Metadata{Name: "layer.weight", DimNames: []string{"out", "in"}, Quant: q})
	require.NoError(t, err)

	for _, dev := range core.Devices() {
		t.Run(dev.Name(), func(t *testing.T) {
			if st := dev.Status(); !st.Available {
				t.Skipf("device %s unavailable: %s", dev.Name(), st.Reason)
			}
			d, err := w.To(dev)
			require.NoError(t, err)
			back, err := d.To(core.CPU())
			require.NoError(t, err)
			m := back.Metadata()
			assert.Equal(t, "layer.weight", m.Name)
			assert.Equal(t, []string{"out", "in"}, m.DimNames)
			require.NotNil(t, m.Quant)
			assert.Equal(t, 4, m.Quant.Bits)
			assert.Equal(t, 32, m.Quant.GroupSize)
			s, err := core.As[float32](m.Quant.Scales)
			require.NoError(t, err)
			sv, err := s.Values()
			require.NoError(t, err)
			assert.Equal(t, []float32{0.5}, sv)
			v, err := back.Values()
			require.NoError(t, err)
			assert.Equal(t, []uint32{0x76543210, 0xfedcba98}, v)
		})
	}
}
