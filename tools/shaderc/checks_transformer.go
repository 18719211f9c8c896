package main

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/metal"
)

// Checks of shaders/transformer.metal against core's rms_norm, rope,
// causal_attention and concat on the CPU.

type rmsNormCase struct {
	rows, cols, threads int
	zeroRow             bool // row 0 all zeros: only eps keeps it finite
}

func rmsNormCases(r *rand.Rand) []rmsNormCase {
	random := make([]rmsNormCase, 2)
	for i := range random {
		random[i] = rmsNormCase{rows: 1 + r.IntN(4), cols: 1 + r.IntN(700), threads: 32 * (1 + r.IntN(32))}
	}
	return append([]rmsNormCase{
		{1, 1, 32, false}, {3, 7, 64, false}, {2, 33, 32, false}, {4, 256, 256, true}, {1, 1000, 96, false},
		{2, 1025, 1024, false}, {2, 4096, 256, false}, {0, 5, 64, false},
	}, random...)
}

func checkRMSNorm(dt string) checkFunc {
	return func(c *checkCtx, name string) error {
		for _, rc := range rmsNormCases(c.rng) {
			n := rc.rows * rc.cols
			x := roundTo(dt, randn(c.rng, max(n, 1), 2))
			if rc.zeroRow {
				clear(x[:rc.cols])
			}
			w := roundTo(dt, uniform(c.rng, rc.cols, -2, 2))
			eps := []float64{1e-5, 1e-6}[c.rng.IntN(2)]
			xa, err := hostArray(dt, []int{rc.rows, rc.cols}, x[:n])
			if err != nil {
				return err
			}
			wa, err := hostArray(dt, []int{rc.cols}, w)
			if err != nil {
				return err
			}
			ra, err := core.RMSNormOp(xa, wa, eps)
			if err != nil {
				return fmt.Errorf("case %+v: core reference: %w", rc, err)
			}
			want, err := arrayValues(dt, ra)
			if err != nil {
				return err
			}
			p := metal.RMSNormParams{Rows: uint32(rc.rows), Cols: uint32(rc.cols), Eps: float32(eps)}
			out, err := c.dispatch(name, metal.RMSNormLaunch(rc.rows, rc.threads),
				[]buf{{0, encode(dt, x)}, {1, encode(dt, w)}, {2, poison(dt, n)}, {3, p.Bytes()}}, 2)
			if err != nil {
				return fmt.Errorf("case %+v: %w", rc, err)
			}
			if out == nil {
				continue
			}
			if err := compare(decode(dt, out[2]), want, nil, tolFor(dt)); err != nil {
				return fmt.Errorf("case %+v: %w", rc, err)
			}
		}
		return nil
	}
}

// ropeCase is x [batch, t, h, d] rotated by [t, d/2] tables.
type ropeCase struct {
	batch, t, h, d, threads int
}

func ropeCases(r *rand.Rand) []ropeCase {
	return []ropeCase{
		{1, 1, 1, 2, 32}, {1, 3, 2, 6, 32}, {2, 5, 3, 10, 64}, {1, 7, 5, 18, 64}, {3, 4, 2, 64, 256},
		{1, 2, 1, 256, 128}, {1, 0, 4, 8, 64}, {2, 3, 0, 8, 64},
		{1 + r.IntN(3), 1 + r.IntN(9), 1 + r.IntN(6), 2 * (1 + r.IntN(40)), 32 * (1 + r.IntN(8))},
	}
}

func checkRoPE(dt string) checkFunc {
	return func(c *checkCtx, name string) error {
		for _, rc := range ropeCases(c.rng) {
			half := rc.d / 2
			n := rc.batch * rc.t * rc.h * rc.d
			x := roundTo(dt, randn(c.rng, max(n, 1), 2))
			cs, sn := make([]float32, max(rc.t*half, 1)), make([]float32, max(rc.t*half, 1))
			for i := range rc.t * half {
				a := c.rng.Float64() * 2 * math.Pi * 10
				cs[i], sn[i] = float32(math.Cos(a)), float32(math.Sin(a))
			}
			xa, err := hostArray(dt, []int{rc.batch, rc.t, rc.h, rc.d}, x[:n])
			if err != nil {
				return err
			}
			ca, err := hostArray("f32", []int{rc.t, half}, cs[:rc.t*half])
			if err != nil {
				return err
			}
			sa, err := hostArray("f32", []int{rc.t, half}, sn[:rc.t*half])
			if err != nil {
				return err
			}
			ra, err := core.RoPEOp(xa, ca, sa)
			if err != nil {
				return fmt.Errorf("case %+v: core reference: %w", rc, err)
			}
			want, err := arrayValues(dt, ra)
			if err != nil {
				return err
			}
			// Each result is a two-term sum: its error scales with both terms.
			mag := make([]float64, n)
			for i := range n {
				vec, j := i/rc.d, i%rc.d
				pos := vec / rc.h % rc.t
				tj := pos*half + j%half
				x1, x2 := float64(x[vec*rc.d+j%half]), float64(x[vec*rc.d+j%half+half])
				mag[i] = math.Abs(x1*float64(cs[tj])) + math.Abs(x2*float64(sn[tj]))
				if j >= half {
					mag[i] = math.Abs(x2*float64(cs[tj])) + math.Abs(x1*float64(sn[tj]))
				}
				mag[i] = max(mag[i], math.Abs(want[i]))
			}
			p := metal.RoPEParams{Pairs: uint32(n / 2), HalfDim: uint32(half), Heads: uint32(rc.h), Positions: uint32(rc.t)}
			out, err := c.dispatch(name, metal.RoPELaunch(n/2, rc.threads),
				[]buf{{0, encode(dt, x)}, {1, encode("f32", cs)}, {2, encode("f32", sn)}, {3, poison(dt, n)}, {4, p.Bytes()}}, 3)
			if err != nil {
				return fmt.Errorf("case %+v: %w", rc, err)
			}
			if out == nil {
				continue
			}
			if err := compare(decode(dt, out[3]), want, mag, tolFor(dt)); err != nil {
				return fmt.Errorf("case %+v: %w", rc, err)
			}
		}
		return nil
	}
}

// attentionCase is q [batch, tq, hq, d] against k, v [batch, tk, hkv, d].
type attentionCase struct {
	name                           string
	batch, tq, hq, tk, hkv, d, thr int
	// window and softcap as core.AttentionParams (0 = none).
	window  int
	softcap float64
}

func attentionCases(r *rand.Rand) []attentionCase {
	hkv := 1 + r.IntN(3)
	tq := 1 + r.IntN(5)
	return []attentionCase{
		{"1 element", 1, 1, 1, 1, 1, 1, 32, 0, 0},
		{"odd head size, GQA 2", 1, 3, 2, 5, 1, 7, 128, 0, 0},
		{"prefill, GQA 4, odd d 33", 2, 4, 8, 4, 2, 33, 128, 0, 0},
		{"head size 512", 1, 2, 2, 2, 1, 512, 128, 0, 0},
		{"head 100 on one simdgroup", 1, 2, 3, 3, 3, 100, 32, 0, 0},
		{"head 96, 256 threads, MHA", 3, 2, 2, 6, 2, 96, 256, 0, 0},
		{"head 512 on 12 simdgroups", 1, 2, 2, 40, 1, 512, 384, 0, 0},
		{"1024 threads, fewer keys than simdgroups", 1, 2, 2, 9, 2, 8, 1024, 0, 0},
		{"decode, 2100 cached keys (3 chunks), GQA 2", 1, 1, 4, 2100, 2, 16, 128, 0, 0},
		{"decode, keys fill one chunk exactly", 1, 1, 1, 1024, 1, 8, 64, 0, 0},
		{"decode, one key past a chunk", 1, 1, 2, 1025, 1, 8, 64, 0, 0},
		{"prefill across a chunk boundary", 1, 3, 1, 1030, 1, 8, 64, 0, 0},
		{"empty queries", 1, 0, 2, 3, 1, 8, 128, 0, 0},
		{"no heads", 2, 3, 0, 3, 0, 8, 128, 0, 0},
		{"random", 1 + r.IntN(2), tq, hkv * (1 + r.IntN(3)), tq + r.IntN(40), hkv, 1 + r.IntN(130), 32 * (1 + r.IntN(8)), 0, 0},
		{"sliding window 4, prefill, GQA 2", 1, 9, 4, 9, 2, 16, 128, 4, 0},
		{"sliding window 1", 2, 3, 2, 5, 1, 7, 64, 1, 0},
		{"window longer than the keys", 1, 3, 2, 5, 2, 8, 64, 50, 0},
		{"decode, window 1500 across a chunk boundary", 1, 1, 2, 2100, 1, 8, 128, 1500, 0},
		{"prefill, window 1030 starting mid-chunk", 1, 3, 1, 2090, 1, 8, 64, 1030, 0},
		{"soft cap 0.5", 1, 4, 4, 6, 2, 16, 128, 0, 0.5},
		{"soft cap 50 and window 3 (Gemma 2)", 1, 5, 4, 8, 2, 16, 96, 3, 50},
	}
}

// attentionMagnitude bounds each output row's rounding error scale: the
// largest visible |v| times 1 + the largest sum of |scale*q*k| terms (an
// error in a score moves the result by about that times |v|).
func attentionMagnitude(ac attentionCase, q, k, v []float32, scale float64) []float64 {
	mag := make([]float64, ac.batch*ac.tq*ac.hq*ac.d)
	rep := ac.hq / max(ac.hkv, 1)
	for row := range ac.batch * ac.tq * ac.hq {
		h, i, b := row%ac.hq, row/ac.hq%ac.tq, row/(ac.hq*ac.tq)
		g := h / rep
		vmax, smax := 0.0, 0.0
		for j := 0; j <= i+ac.tk-ac.tq; j++ {
			base := ((b*ac.tk+j)*ac.hkv + g) * ac.d
			s := 0.0
			for e := range ac.d {
				s += math.Abs(scale * float64(q[row*ac.d+e]) * float64(k[base+e]))
				vmax = max(vmax, math.Abs(float64(v[base+e])))
			}
			smax = max(smax, s)
		}
		for e := range ac.d {
			mag[row*ac.d+e] = vmax * (1 + smax)
		}
	}
	return mag
}

func checkAttention(dt string) checkFunc {
	return func(c *checkCtx, name string) error {
		for _, ac := range attentionCases(c.rng) {
			nq := ac.batch * ac.tq * ac.hq * ac.d
			nk := ac.batch * ac.tk * ac.hkv * ac.d
			q := roundTo(dt, randn(c.rng, max(nq, 1), 1))
			k := roundTo(dt, randn(c.rng, max(nk, 1), 1))
			v := roundTo(dt, randn(c.rng, max(nk, 1), 1))
			scale := 1 / math.Sqrt(float64(ac.d))
			ap := core.AttentionParams{Scale: scale, Window: ac.window, SoftCap: ac.softcap}
			qa, err := hostArray(dt, []int{ac.batch, ac.tq, ac.hq, ac.d}, q[:nq])
			if err != nil {
				return err
			}
			ka, err := hostArray(dt, []int{ac.batch, ac.tk, ac.hkv, ac.d}, k[:nk])
			if err != nil {
				return err
			}
			va, err := hostArray(dt, []int{ac.batch, ac.tk, ac.hkv, ac.d}, v[:nk])
			if err != nil {
				return err
			}
			ra, err := core.AttentionOp(qa, ka, va, ap)
			if err != nil {
				return fmt.Errorf("case %s: core reference: %w", ac.name, err)
			}
			want, err := arrayValues(dt, ra)
			if err != nil {
				return err
			}
			rows := ac.batch * ac.tq * ac.hq
			if nq == 0 {
				rows = 0 // the planner dispatches nothing for an empty output
			}
			p := metal.AttentionParams{Rows: uint32(rows), Tq: uint32(ac.tq), Hq: uint32(ac.hq), Tk: uint32(ac.tk),
				Hkv: uint32(ac.hkv), D: uint32(ac.d), Scale: float32(scale), Window: uint32(ac.window), SoftCap: float32(ac.softcap)}
			out, err := c.dispatch(name, metal.AttentionLaunch(rows, ac.d, ac.thr),
				[]buf{{0, encode(dt, q)}, {1, encode(dt, k)}, {2, encode(dt, v)}, {3, poison(dt, nq)}, {4, p.Bytes()}}, 3)
			if err != nil {
				return fmt.Errorf("case %s: %w", ac.name, err)
			}
			if out == nil {
				continue
			}
			mag := attentionMagnitude(ac, q, k, v, scale)
			if err := compare(decode(dt, out[3]), want, mag, tolFor(dt)); err != nil {
				return fmt.Errorf("case %s: %w", ac.name, err)
			}
		}
		return nil
	}
}

// concatCase joins inputs along axis; each input is a strided view of its
// own buffer (layout.shape is the operand's shape).
type concatCase struct {
	name    string
	axis    int
	inputs  []layout
	threads int
}

func contiguousLayout(shape ...int) layout { return layout{shape: shape, strides: contiguous(shape)} }

func concatCases(r *rand.Rand) []concatCase {
	rnd := []int{1 + r.IntN(4), 1 + r.IntN(5), 1 + r.IntN(6)}
	ax := r.IntN(3)
	other := append([]int(nil), rnd...)
	other[ax] = r.IntN(4)
	return []concatCase{
		{"KV cache append, axis 0", 0, []layout{contiguousLayout(5, 2, 3), contiguousLayout(1, 2, 3)}, 64},
		{"axis 1 of three", 1, []layout{contiguousLayout(2, 3, 4), contiguousLayout(2, 1, 4), contiguousLayout(2, 5, 4)}, 32},
		{"last axis", 1, []layout{contiguousLayout(3, 2), contiguousLayout(3, 7)}, 32},
		{"1 element, an empty input", 0, []layout{contiguousLayout(1), contiguousLayout(0), contiguousLayout(2)}, 32},
		{"tails past a threadgroup", 0, []layout{contiguousLayout(300), contiguousLayout(45)}, 256},
		{"all empty", 0, []layout{contiguousLayout(0, 3), contiguousLayout(0, 3)}, 64},
		{"transposed and offset views", 1, []layout{{[]int{3, 4}, []int{1, 3}, 2}, {[]int{3, 2}, []int{-2, -1}, 5}}, 32},
		{"rank 8", 5, []layout{contiguousLayout(2, 1, 2, 1, 2, 3, 1, 2), contiguousLayout(2, 1, 2, 1, 2, 1, 1, 2)}, 64},
		{"random", ax, []layout{contiguousLayout(rnd...), contiguousLayout(other...)}, 32 * (1 + r.IntN(8))},
	}
}

// concatDType is a core dtype of the kernel's element width.
func concatDType(width string) core.DType {
	switch width {
	case "x8":
		return core.U8
	case "x16":
		return core.I16
	case "x64":
		return core.I64
	default:
		return core.U32
	}
}

// checkConcat copies every input of a case into one output buffer with
// the kernel, then compares the bytes with core's concat of the inputs'
// logical elements: every output byte must be written, and exactly.
func checkConcat(width string) checkFunc {
	return func(c *checkCtx, name string) error {
		dt := concatDType(width)
		es := dt.Size()
		for _, cc := range concatCases(c.rng) {
			var host []*core.Array
			var raws [][]byte
			outShape := append([]int(nil), cc.inputs[0].shape...)
			outShape[cc.axis] = 0
			for _, l := range cc.inputs {
				raw := make([]byte, max(l.span(), 1)*es)
				for i := range raw {
					raw[i] = byte(c.rng.Uint32())
				}
				raws = append(raws, raw)
				n := numel(l.shape)
				logical := make([]byte, n*es)
				for i := range n {
					copy(logical[i*es:], raw[l.index(i)*es:][:es])
				}
				h := core.NewHeap(len(logical))
				copy(h.Bytes(), logical)
				a, err := core.NewArray(dt, core.Shape(l.shape), h, 0)
				if err != nil {
					return err
				}
				host = append(host, a)
				outShape[cc.axis] += l.shape[cc.axis]
			}
			ra, err := core.ConcatOp(cc.axis, host...)
			if err != nil {
				return fmt.Errorf("case %s: core reference: %w", cc.name, err)
			}
			want, err := ra.Bytes()
			if err != nil {
				return err
			}
			inner := numel(outShape[cc.axis+1:])
			got := bytes.Repeat([]byte{0xff}, max(numel(outShape)*es, 1))
			at := 0
			for i, l := range cc.inputs {
				n := numel(l.shape)
				p := metal.ConcatParams{N: uint32(n), Rank: uint32(len(l.shape)), Offset: uint32(l.offset),
					Block: uint32(l.shape[cc.axis] * inner), DstOffset: uint32(at * inner), DstStride: uint32(outShape[cc.axis] * inner)}
				for d := range l.shape {
					p.Shape[d] = uint32(l.shape[d])
					p.Strides[d] = int32(l.strides[d])
				}
				at += l.shape[cc.axis]
				out, err := c.dispatch(name, metal.ConcatLaunch(n, cc.threads), []buf{{0, raws[i]}, {1, got}, {2, p.Bytes()}}, 1)
				if err != nil {
					return fmt.Errorf("case %s, input %d: %w", cc.name, i, err)
				}
				if out != nil {
					got = out[1]
				}
			}
			if !bytes.Equal(got[:len(want)], want) {
				for i := range want {
					if got[i] != want[i] {
						return fmt.Errorf("case %s: output byte %d (element %d): got %#x, want %#x", cc.name, i, i/es, got[i], want[i])
					}
				}
			}
		}
		return nil
	}
}
