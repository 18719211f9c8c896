package integration

import (
	"errors"
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

// parityCase is one op run on every device and compared with an
// independent float64 reference.
type parityCase struct {
	name string
	// opName is the core op the case runs (the key of the allow-lists).
	opName string
	inputs func(r *rand.Rand) ([]*core.Array, error)
	op     func(in []*core.Array) (*core.Array, error)
	// ref computes the expected values in float64 from the host inputs.
	ref func(in []*core.Array) ([]float64, error)
	// tol bounds max|device-reference| / max(1, max|reference|).
	tol float64
	// slack, where set, is an absolute error allowed on top of tol on
	// the devices that quantize this case's activations to 8 bits (as
	// llama.cpp does), computed from the host inputs; see actQuantSlack.
	slack func(dev core.Device, in []*core.Array) (float64, error)
}

// cpuAllowed lists, for each GPU backend, the ops of the parity cases it
// may leave to the CPU, with the reason. Every other case runs in strict
// mode, where a CPU fallback is an error; an op listed here must really
// fall back (TestParity checks both ways), so the list stays exact.
var cpuAllowed = map[string]map[string]string{
	"cuda": {},
	"metal": {
		"gather": "no Metal gather kernel yet",
		"copy":   "no Metal copy kernel: making a strided view contiguous runs on the CPU",
	},
}

// withHosts adapts a reference over float64 inputs.
func withHosts(f func(h []host) ([]float64, error)) func(in []*core.Array) ([]float64, error) {
	return func(in []*core.Array) ([]float64, error) {
		h, err := hosts(in)
		if err != nil {
			return nil, err
		}
		return f(h)
	}
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
				name: fmt.Sprintf("%s/%v/broadcast", op, dt), opName: op, tol: tol,
				inputs: inputsOf(dt, []int{3, 1, 37}, []int{5, 37}),
				op:     func(in []*core.Array) (*core.Array, error) { return core.BinaryOp(op, in[0], in[1]) },
				ref:    withHosts(func(h []host) ([]float64, error) { return refBinary(op, h[0], h[1]) }),
			})
		}
		cases = append(cases, parityCase{
			name: fmt.Sprintf("rms_norm/%v", dt), opName: "rms_norm", tol: tol,
			inputs: inputsOf(dt, []int{5, 3, 96}, []int{96}),
			op:     func(in []*core.Array) (*core.Array, error) { return core.RMSNormOp(in[0], in[1], 1e-5) },
			ref:    withHosts(func(h []host) ([]float64, error) { return refRMSNorm(h[0], h[1], 1e-5), nil }),
		}, parityCase{
			// The fused residual add and norm (a decode step's row, and
			// several rows): its normed output, from x + r.
			name: fmt.Sprintf("add_rms_norm/%v", dt), opName: "add_rms_norm", tol: tol,
			inputs: inputsOf(dt, []int{5, 96}, []int{5, 96}, []int{96}),
			op: func(in []*core.Array) (*core.Array, error) {
				_, y, err := core.AddRMSNormOp(in[0], in[1], in[2], 1e-5)
				return y, err
			},
			ref: withHosts(func(h []host) ([]float64, error) {
				s := host{v: make([]float64, len(h[0].v)), s: h[0].s}
				for i := range s.v {
					s.v[i] = h[0].v[i] + h[1].v[i]
				}
				return refRMSNorm(s, h[2], 1e-5), nil
			}),
		}, parityCase{
			// The gated down projection of a decode step: silu(g) * u of
			// gu = [g | u] times a transposed weight.
			name: fmt.Sprintf("silu_mul_matmul/%v", dt), opName: "silu_mul_matmul", tol: max(tol, 1e-4),
			inputs: inputsOf(dt, []int{1, 2 * 64}, []int{40, 64}),
			op: func(in []*core.Array) (*core.Array, error) {
				wt, err := in[1].T()
				if err != nil {
					return nil, err
				}
				return core.SiLUMulMatMulOp(in[0], wt)
			},
			ref: withHosts(func(h []host) ([]float64, error) {
				k := h[0].s[1] / 2
				x := host{v: make([]float64, k), s: core.Shape{1, k}}
				for j := range x.v {
					g, u := h[0].v[j], h[0].v[k+j]
					x.v[j] = g / (1 + math.Exp(-g)) * u
				}
				v, _ := refMatMul(x, h[1], false, true)
				return v, nil
			}),
		}, parityCase{
			name: fmt.Sprintf("rope/%v", dt), opName: "rope", tol: tol,
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
			op:  func(in []*core.Array) (*core.Array, error) { return core.RoPEOp(in[0], in[1], in[2]) },
			ref: withHosts(func(h []host) ([]float64, error) { return refRoPE(h[0], h[1], h[2]), nil }),
		}, parityCase{
			name: fmt.Sprintf("causal_attention/%v/prefill", dt), opName: "causal_attention", tol: max(tol, 1e-4),
			inputs: inputsOf(dt, []int{9, 8, 64}, []int{9, 2, 64}, []int{9, 2, 64}),
			op:     func(in []*core.Array) (*core.Array, error) { return core.CausalAttentionOp(in[0], in[1], in[2], 0.125) },
			ref:    withHosts(func(h []host) ([]float64, error) { return refAttention(h[0], h[1], h[2], 0.125), nil }),
		}, parityCase{
			name: fmt.Sprintf("causal_attention/%v/decode", dt), opName: "causal_attention", tol: max(tol, 1e-4),
			inputs: inputsOf(dt, []int{1, 6, 40}, []int{37, 3, 40}, []int{37, 3, 40}),
			op:     func(in []*core.Array) (*core.Array, error) { return core.CausalAttentionOp(in[0], in[1], in[2], 0.2) },
			ref:    withHosts(func(h []host) ([]float64, error) { return refAttention(h[0], h[1], h[2], 0.2), nil }),
		}, parityCase{
			name: fmt.Sprintf("causal_attention/%v/sliding-window-soft-cap-prefill", dt), opName: "causal_attention", tol: max(tol, 1e-4),
			inputs: inputsOf(dt, []int{11, 8, 64}, []int{11, 2, 64}, []int{11, 2, 64}),
			op: func(in []*core.Array) (*core.Array, error) {
				return core.AttentionOp(in[0], in[1], in[2], core.AttentionParams{Scale: 0.5, Window: 4, SoftCap: 3})
			},
			ref: withHosts(func(h []host) ([]float64, error) { return refAttentionWindow(h[0], h[1], h[2], 0.5, 4, 3), nil }),
		}, parityCase{
			name: fmt.Sprintf("causal_attention/%v/sliding-window-decode-across-chunk", dt), opName: "causal_attention", tol: max(tol, 1e-4),
			inputs: inputsOf(dt, []int{1, 4, 32}, []int{1500, 2, 32}, []int{1500, 2, 32}),
			op: func(in []*core.Array) (*core.Array, error) {
				return core.AttentionOp(in[0], in[1], in[2], core.AttentionParams{Scale: 0.2, Window: 1100})
			},
			ref: withHosts(func(h []host) ([]float64, error) { return refAttentionWindow(h[0], h[1], h[2], 0.2, 1100, 0), nil }),
		}, cachedAttentionCase(dt, tol, "decode-window-soft-cap", 1, 1300, 1200,
			core.AttentionParams{Scale: 0.4, Window: 1100, SoftCap: 2}), // blocks: past one chunk
			cachedAttentionCase(dt, tol, "prefill-window-soft-cap", 5, 40, 20,
				core.AttentionParams{Scale: 0.5, Window: 7, SoftCap: 1.5})) // warp-per-row kernel on CUDA
		cases = append(cases, pagedCases(dt, tol)...)
		for _, op := range []string{"neg", "abs", "exp", "sin", "cos", "tanh", "sigmoid", "relu", "gelu", "gelu_tanh", "silu"} {
			cases = append(cases, parityCase{
				name: fmt.Sprintf("%s/%v", op, dt), opName: op, tol: tol,
				inputs: inputsOf(dt, []int{7, 129}),
				op:     func(in []*core.Array) (*core.Array, error) { return core.UnaryOp(op, in[0]) },
				ref:    withHosts(func(h []host) ([]float64, error) { return refUnary(op, h[0]) }),
			})
		}
		for _, op := range []string{"sum", "mean", "max", "min"} {
			cases = append(cases, parityCase{
				name: fmt.Sprintf("%s/%v/last-axis", op, dt), opName: op, tol: max(tol, 1e-4),
				inputs: inputsOf(dt, []int{9, 1000}),
				op:     func(in []*core.Array) (*core.Array, error) { return core.ReduceOp(op, in[0], []int{-1}, false) },
				ref:    withHosts(func(h []host) ([]float64, error) { return refReduce(op, h[0]), nil }),
			})
		}
		for _, op := range []string{"softmax", "log_softmax"} {
			cases = append(cases, parityCase{
				name: fmt.Sprintf("%s/%v", op, dt), opName: op, tol: tol,
				inputs: inputsOf(dt, []int{4, 3, 1000}),
				op:     func(in []*core.Array) (*core.Array, error) { return core.SoftmaxOp(op, in[0], -1) },
				ref:    withHosts(func(h []host) ([]float64, error) { return refSoftmax(h[0], op == "log_softmax"), nil }),
			})
		}
		cases = append(cases,
			parityCase{
				name: fmt.Sprintf("matmul/%v/edge-tiles", dt), opName: "matmul", tol: max(tol, 1e-4),
				inputs: inputsOf(dt, []int{67, 129}, []int{129, 33}),
				op:     func(in []*core.Array) (*core.Array, error) { return core.MatMulOp(in[0], in[1]) },
				ref: withHosts(func(h []host) ([]float64, error) {
					v, _ := refMatMul(h[0], h[1], false, false)
					return v, nil
				}),
			},
			parityCase{
				name: fmt.Sprintf("matmul/%v/transposed-batched", dt), opName: "matmul", tol: max(tol, 1e-4),
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
				ref: withHosts(func(h []host) ([]float64, error) {
					v, _ := refMatMul(h[0], h[1], true, true)
					return v, nil
				}),
			},
		)
	}
	identity := withHosts(func(h []host) ([]float64, error) { return h[0].v, nil })
	cases = append(cases,
		parityCase{
			name: "cast/f32-to-f16", opName: "cast", tol: 1e-3,
			inputs: inputsOf(core.F32, []int{1000}),
			op:     func(in []*core.Array) (*core.Array, error) { return core.CastOp(in[0], core.F16) },
			ref:    identity,
		},
		parityCase{
			name: "cast/f32-to-bf16", opName: "cast", tol: 1e-2,
			inputs: inputsOf(core.F32, []int{1000}),
			op:     func(in []*core.Array) (*core.Array, error) { return core.CastOp(in[0], core.BF16) },
			ref:    identity,
		},
		parityCase{
			name: "copy/permuted-view", opName: "copy", tol: 0,
			inputs: inputsOf(core.F32, []int{3, 5, 7}),
			op: func(in []*core.Array) (*core.Array, error) {
				p, err := in[0].Permute(2, 0, 1)
				if err != nil {
					return nil, err
				}
				return p.Contiguous()
			},
			ref: withHosts(func(h []host) ([]float64, error) { return refPermute(h[0], 2, 0, 1), nil }),
		},
		parityCase{
			name: "concat/axis1", opName: "concat", tol: 0,
			inputs: inputsOf(core.F32, []int{4, 3}, []int{4, 5}),
			op:     func(in []*core.Array) (*core.Array, error) { return core.ConcatOp(1, in[0], in[1]) },
			ref:    withHosts(func(h []host) ([]float64, error) { return refConcat(1, h[0], h[1]), nil }),
		},
		parityCase{
			name: "concat/axis0/kv-cache", opName: "concat", tol: 0,
			inputs: inputsOf(core.BF16, []int{7, 2, 16}, []int{1, 2, 16}),
			op:     func(in []*core.Array) (*core.Array, error) { return core.ConcatOp(0, in[0], in[1]) },
			ref:    withHosts(func(h []host) ([]float64, error) { return refConcat(0, h[0], h[1]), nil }),
		},
		parityCase{
			name: "concat/axis2/strided", opName: "concat", tol: 0,
			inputs: inputsOf(core.F32, []int{3, 4, 5}, []int{3, 4, 4}),
			op: func(in []*core.Array) (*core.Array, error) {
				s, err := in[1].Slice(2, 0, 4, 2) // every other column
				if err != nil {
					return nil, err
				}
				return core.ConcatOp(2, in[0], s)
			},
			ref: withHosts(func(h []host) ([]float64, error) {
				s := host{s: core.Shape{3, 4, 2}}
				for i := 0; i < len(h[1].v); i += 2 {
					s.v = append(s.v, h[1].v[i])
				}
				return refConcat(2, h[0], s), nil
			}),
		},
		parityCase{
			name: "gather/rows", opName: "gather", tol: 0,
			inputs: func(r *rand.Rand) ([]*core.Array, error) {
				x, err := randArray(r, core.F32, 11, 6)
				if err != nil {
					return nil, err
				}
				idx, err := core.FromSlice([]int32{3, 0, 10, 3, 7}, 5)
				if err != nil {
					return nil, err
				}
				return []*core.Array{x, idx.Array()}, nil
			},
			op: func(in []*core.Array) (*core.Array, error) { return core.GatherOp(in[0], 0, in[1]) },
			ref: func(in []*core.Array) ([]float64, error) {
				h, err := hosts(in[:1])
				if err != nil {
					return nil, err
				}
				return refGather(h[0], []int{3, 0, 10, 3, 7}), nil
			},
		},
	)
	for _, q := range []struct {
		name     string
		quantize func(w *core.Array) (*core.Array, error)
	}{
		{"affine4-g64", func(w *core.Array) (*core.Array, error) { return quant.Quantize(w, 4, 64) }},
		{"affine8-g32", func(w *core.Array) (*core.Array, error) { return quant.Quantize(w, 8, 32) }},
		{"affine2-g64", func(w *core.Array) (*core.Array, error) { return quant.Quantize(w, 2, 64) }},
		{"q8_0", func(w *core.Array) (*core.Array, error) { return quant.QuantizeBlocks(w, core.SchemeQ8_0) }},
		{"q4_0", func(w *core.Array) (*core.Array, error) { return quant.QuantizeBlocks(w, core.SchemeQ4_0) }},
	} {
		for _, m := range []int{1, 5} {
			cases = append(cases, parityCase{
				name: fmt.Sprintf("quantized_matmul/%s/m%d", q.name, m), opName: "quantized_matmul", tol: 1e-4,
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
				op:    func(in []*core.Array) (*core.Array, error) { return core.QuantizedMatMulOp(in[0], in[1]) },
				slack: actQuantSlack(q.name, m),
				// x · W^T in float64 over the weight's dequantized values
				// (quant.Dequantize, itself checked against MLX's and
				// ggml's own outputs in the quant tests).
				ref: func(in []*core.Array) ([]float64, error) {
					w, err := quant.Dequantize(in[1])
					if err != nil {
						return nil, err
					}
					h, err := hosts([]*core.Array{in[0], w})
					if err != nil {
						return nil, err
					}
					v, _ := refMatMul(h[0], h[1], false, true)
					return v, nil
				},
			})
		}
	}
	return cases
}

// toF64 reads an array back to the host as float64 values.
func toF64(a *core.Array) ([]float64, error) {
	h, err := a.To(core.CPU())
	if err != nil {
		return nil, err
	}
	if h, err = core.CastOp(h, core.F64); err != nil {
		return nil, err
	}
	t, err := core.As[float64](h)
	if err != nil {
		return nil, err
	}
	return t.Values()
}

// TestParity runs every case on every available device, the CPU
// included, and compares it with the case's float64 reference. On a GPU
// each case runs in strict mode (a CPU fallback is an error) unless its op
// is on the backend's cpuAllowed list, in which case it must fall back.
// Unavailable devices are skipped with the reason they give.
func TestParity(t *testing.T) {
	for _, dev := range core.Devices() {
		t.Run(dev.Name(), func(t *testing.T) {
			if st := dev.Status(); !st.Available {
				t.Skipf("device %s unavailable: %s", dev.Name(), st.Reason)
			}
			for _, c := range parityCases() {
				t.Run(c.name, func(t *testing.T) { runParityCase(t, dev, c) })
			}
		})
	}
}

func runParityCase(t *testing.T, dev core.Device, c parityCase) {
	r := rand.New(rand.NewPCG(7, uint64(len(c.name))))
	in, err := c.inputs(r)
	require.NoError(t, err)
	want, err := c.ref(in)
	require.NoError(t, err)

	dIn := make([]*core.Array, len(in))
	for i, a := range in {
		dIn[i], err = a.To(dev)
		require.NoError(t, err)
	}
	why, allowed := cpuAllowed[dev.Kind()][c.opName]
	key := dev.Name() + "/" + c.opName
	before := core.Fallbacks()[key]
	if dev != core.CPU() && !allowed {
		prev := core.SetStrict(true)
		defer core.SetStrict(prev)
	}
	got, err := c.op(dIn)
	if errors.Is(err, core.ErrFallback) {
		t.Fatalf("%s has no kernel on %s (%v): add one, or put %q on cpuAllowed[%q] with the reason", c.name, dev.Name(), err, c.opName, dev.Kind())
	}
	require.NoError(t, err)
	if allowed {
		assert.Greater(t, core.Fallbacks()[key], before,
			"%s is on cpuAllowed[%q] (%s) but ran on the device: take it off the list", c.opName, dev.Kind(), why)
	}
	assert.Equal(t, dev, got.Device(), "result stays on the device")
	g, err := toF64(got)
	require.NoError(t, err)
	require.Len(t, g, len(want), "%s: result %v", c.name, got.Shape())
	scale := 1.0
	for _, v := range want {
		scale = max(scale, math.Abs(v))
	}
	limit := c.tol * scale
	if c.slack != nil {
		s, err := c.slack(dev, in)
		require.NoError(t, err)
		limit += s
	}
	for i := range want {
		if d := math.Abs(g[i] - want[i]); !(d <= limit) {
			t.Fatalf("%s on %s: element %d is %g, float64 reference %g (|diff| %g > %g)", c.name, dev.Name(), i, g[i], want[i], d, limit)
		}
	}
}

// TestAllowListsNameRealOps keeps cpuAllowed honest: every op it lists
// is exercised by a parity case (so TestParity checks that it falls back)
// and comes with a reason.
func TestAllowListsNameRealOps(t *testing.T) {
	ops := map[string]bool{}
	for _, c := range parityCases() {
		require.NotEmpty(t, c.opName, c.name)
		ops[c.opName] = true
	}
	for kind, list := range cpuAllowed {
		for op, why := range list {
			assert.True(t, ops[op], "cpuAllowed[%q] lists %q, which no parity case runs", kind, op)
			assert.NotEmpty(t, why, "cpuAllowed[%q][%q] needs a reason", kind, op)
		}
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

// cachedAttentionCase is cached_attention of tq queries at position p
// over a cache of capRows rows (8 query heads over 2 key/value heads of
// 32), against the float64 reference over the cache's first p+tq rows.
func cachedAttentionCase(dt core.DType, tol float64, name string, tq, capRows, p int, ap core.AttentionParams) parityCase {
	return parityCase{
		name: fmt.Sprintf("cached_attention/%v/%s", dt, name), opName: "cached_attention", tol: max(tol, 1e-4),
		inputs: func(r *rand.Rand) ([]*core.Array, error) {
			in, err := inputsOf(dt, []int{tq, 8, 32}, []int{capRows, 2, 32}, []int{capRows, 2, 32})(r)
			if err != nil {
				return nil, err
			}
			pos, err := core.FromSlice([]int32{int32(p)}, 1)
			if err != nil {
				return nil, err
			}
			return append(in, pos.Array()), nil
		},
		op: func(in []*core.Array) (*core.Array, error) {
			return core.CachedAttentionOp(in[0], in[1], in[2], in[3], ap)
		},
		ref: withHosts(func(h []host) ([]float64, error) {
			rows := func(x host) host {
				n := p + tq
				return host{v: x.v[:n*x.s[1]*x.s[2]], s: core.Shape{n, x.s[1], x.s[2]}}
			}
			return refAttentionWindow(h[0], rows(h[1]), rows(h[2]), ap.Scale, ap.Window, ap.SoftCap), nil
		}),
	}
}

// actQuantSlack bounds what quantizing each row of x to 8-bit blocks of
// 32 (scale max|x|/127, codes rounded) can change in x · W^T: half a step
// per value times |w|, the largest over the outputs. It is the one place
// that says which devices quantize activations, and it allows the slack
// there only: the CPU's integer kernels for ggml Q4_0 and Q8_0 weights
// (quant/int_kernels.go), CUDA's integer one-row kernels for one row of
// x times ggml weights and its integer kernels for up to 32 rows times
// 4-bit affine weights (cuda/qmvi.go, cuda/qmmi.go; the cases' K is
// within their limit; 8-bit affine codes keep the float kernels). Elsewhere it adds nothing, so a kernel that
// started to quantize x unannounced fails instead of hiding inside it.
// Nil for schemes that no device quantizes x for.
func actQuantSlack(scheme string, m int) func(dev core.Device, in []*core.Array) (float64, error) {
	cpu := scheme == "q4_0" || scheme == "q8_0"
	cuda := m == 1 && cpu || strings.HasPrefix(scheme, "affine4-") && m <= 32
	if !cpu && !cuda {
		return nil
	}
	return func(dev core.Device, in []*core.Array) (float64, error) {
		quantizes := map[string]bool{"cpu": cpu, "cuda": cuda}[dev.Kind()]
		if !quantizes {
			return 0, nil
		}
		w, err := quant.Dequantize(in[1])
		if err != nil {
			return 0, err
		}
		h, err := hosts([]*core.Array{in[0], w})
		if err != nil {
			return 0, err
		}
		x, wv := h[0].v, h[1].v
		k := in[0].Shape()[1]
		var worst float64
		for r := range len(x) / k {
			for n := range len(wv) / k {
				var e float64
				for b := 0; b < k; b += 32 {
					var amax float64
					for _, v := range x[r*k+b : r*k+b+32] {
						amax = max(amax, math.Abs(v))
					}
					for _, v := range wv[n*k+b : n*k+b+32] {
						e += math.Abs(v) * amax / 254
					}
				}
				worst = max(worst, e)
			}
		}
		return worst * (1 + 1e-3), nil
	}
}
