package metal

import (
	"math"
	"testing"

	"github.com/lbrx/lbrx/core"
	"github.com/stretchr/testify/require"
)

// Go models of the f32 transformer kernels' ABI (shaders/README.md) for
// the emulated device of emu_test.go: each reads its params and bindings
// exactly as the shader does, computing in float64.

func emuRMSNorm(p RMSNormParams, x, w, out f32buf) {
	cols := int(p.Cols)
	for r := range int(p.Rows) {
		ss := 0.0
		for c := range cols {
			v := float64(x.at(r*cols + c))
			ss += v * v
		}
		inv := 1 / math.Sqrt(ss/float64(cols)+float64(p.Eps))
		for c := range cols {
			out.set(r*cols+c, float32(float64(x.at(r*cols+c))*inv*float64(w.at(c))))
		}
	}
}

func emuRoPE(p RoPEParams, x, cs, sn, out f32buf) {
	hd := int(p.HalfDim)
	for i := range int(p.Pairs) {
		vec, j := i/hd, i%hd
		t := vec/int(p.Heads)%int(p.Positions)*hd + j
		c, s := float64(cs.at(t)), float64(sn.at(t))
		b := vec*2*hd + j
		x1, x2 := float64(x.at(b)), float64(x.at(b+hd))
		out.set(b, float32(x1*c-x2*s))
		out.set(b+hd, float32(x2*c+x1*s))
	}
}

func emuAttention(p AttentionParams, q, k, v, out f32buf) {
	d, pos := int(p.D), int(p.Hkv*p.D)
	for row := range int(p.Rows) {
		h, bi := row%int(p.Hq), row/int(p.Hq)
		i, b := bi%int(p.Tq), bi/int(p.Tq)
		g := h / int(p.Hq/p.Hkv)
		base := b*int(p.Tk)*pos + g*d
		last := i + int(p.Tk) - int(p.Tq)
		w := make([]float64, last+1)
		m := math.Inf(-1)
		for j := range w {
			if p.Window > 0 && last-j >= int(p.Window) {
				w[j] = math.Inf(-1) // outside the sliding window
				continue
			}
			s := 0.0
			for e := range d {
				s += float64(q.at(row*d+e)) * float64(k.at(base+j*pos+e))
			}
			w[j] = s * float64(p.Scale)
			if c := float64(p.SoftCap); c > 0 {
				w[j] = c * math.Tanh(w[j]/c)
			}
			m = math.Max(m, w[j])
		}
		sum := 0.0
		for j := range w {
			w[j] = math.Exp(w[j] - m)
			sum += w[j]
		}
		for e := range d {
			acc := 0.0
			for j := range w {
				acc += w[j] * float64(v.at(base+j*pos+e))
			}
			out.set(row*d+e, float32(acc/sum))
		}
	}
}

func emuConcat(p ConcatParams, in, out f32buf) {
	for i := range int(p.N) {
		src := int(p.Offset) + stridedIndex(i, p.Shape[:p.Rank], p.Strides[:p.Rank])
		dst := int(p.DstOffset) + i/int(p.Block)*int(p.DstStride) + i%int(p.Block)
		out.set(dst, in.at(src))
	}
}

func TestTransformerPlannerMatchesCoreOnEmulatedDevice(t *testing.T) {
	mk := func(shape ...int) in {
		v := make([]float32, numel(shape))
		for i := range v {
			v[i] = (float32((i*7)%13) - 6) / 4
		}
		return in{base: hostArray(t, core.F32, v, shape...)}
	}
	onBoth(t, "rms_norm", func(in []*core.Array) (*core.Array, error) { return core.RMSNormOp(in[0], in[1], 1e-5) },
		mk(3, 2, 9), mk(9))
	onBoth(t, "rope", func(in []*core.Array) (*core.Array, error) { return core.RoPEOp(in[0], in[1], in[2]) },
		mk(2, 3, 4, 6), mk(3, 3), mk(3, 3))
	attn := func(in []*core.Array) (*core.Array, error) { return core.CausalAttentionOp(in[0], in[1], in[2], 0.3) }
	onBoth(t, "causal_attention GQA decode", attn, mk(1, 4, 8), mk(6, 2, 8), mk(6, 2, 8))
	onBoth(t, "causal_attention batched prefill", attn, mk(2, 3, 2, 5), mk(2, 3, 1, 5), mk(2, 3, 1, 5))
	windowed := func(in []*core.Array) (*core.Array, error) {
		return core.AttentionOp(in[0], in[1], in[2], core.AttentionParams{Scale: 0.9, Window: 3, SoftCap: 1.5})
	}
	onBoth(t, "causal_attention sliding window and soft cap, prefill", windowed, mk(7, 4, 8), mk(7, 2, 8), mk(7, 2, 8))
	onBoth(t, "causal_attention sliding window and soft cap, decode", windowed, mk(1, 4, 8), mk(9, 2, 8), mk(9, 2, 8))
	onBoth(t, "concat KV cache", func(in []*core.Array) (*core.Array, error) { return core.ConcatOp(0, in...) },
		mk(5, 2, 3), mk(1, 2, 3))
	tT := in{base: mk(4, 3).base, view: func(a *core.Array) (*core.Array, error) { return a.T() }}
	onBoth(t, "concat transposed view, axis 1", func(in []*core.Array) (*core.Array, error) { return core.ConcatOp(1, in...) },
		tT, mk(3, 0), mk(3, 2))

	emu.mu.Lock()
	defer emu.mu.Unlock()
	for _, k := range []string{"rms_norm_f32", "rope_f32", "causal_attention_f32", "concat_x32"} {
		require.Positive(t, emu.dispatches[k], "%s was dispatched, not run by the CPU fallback", k)
	}
}
