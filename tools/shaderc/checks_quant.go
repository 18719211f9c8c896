package main

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/lbrx/lbrx/metal"
	"github.com/x448/float16"
)

type quantCase struct{ m, n, k, gs, xpad int }

func quantCases() []quantCase {
	return []quantCase{
		{1, 1, 32, 32, 0}, {1, 13, 64, 32, 0}, {3, 17, 128, 64, 5}, {2, 9, 256, 128, 0},
		{5, 40, 96, 32, 0}, {33, 35, 64, 32, 1}, {0, 3, 32, 32, 0},
	}
}

// affineQuantize is MLX's CPU quantizer (docs/FORMATS.md section 2) for
// one row: codes packed LSB-first in uint32 words, scale/bias per group
// rounded to dt.
func affineQuantize(dt string, w []float32, bits, gs int) (codes []uint32, scales, biases []float32) {
	nbins := float32(int(1)<<bits - 1)
	per := 32 / bits
	codes = make([]uint32, len(w)/per)
	for g := 0; g < len(w)/gs; g++ {
		grp := w[g*gs : (g+1)*gs]
		lo, hi := grp[0], grp[0]
		for _, v := range grp {
			lo, hi = min(lo, v), max(hi, v)
		}
		scale := max((hi-lo)/nbins, 1e-7)
		edge := hi
		if float32(math.Abs(float64(lo))) > float32(math.Abs(float64(hi))) {
			edge = lo
		} else {
			scale = -scale
		}
		q0 := float32(math.RoundToEven(float64(edge / scale)))
		bias := float32(0)
		if q0 != 0 {
			scale = edge / q0
			bias = edge
		}
		s := roundTo(dt, []float32{scale, bias})
		scales, biases = append(scales, s[0]), append(biases, s[1])
		for j, v := range grp {
			q := float32(math.RoundToEven(float64((v - bias) / scale)))
			q = min(max(q, 0), nbins)
			k := g*gs + j
			codes[k/per] |= uint32(q) << (uint(k%per) * uint(bits))
		}
	}
	return codes, scales, biases
}

func u32bytes(v []uint32) []byte {
	b := make([]byte, 4*max(len(v), 1))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], x)
	}
	return b
}

// quantRef computes y = x W^T from dequantized W (deq[n][k]) in float64.
func quantRef(dt string, qc quantCase, x []float32, deq [][]float64) ([]float64, []float64) {
	ld := qc.k + qc.xpad
	want := make([]float64, qc.m*qc.n)
	mag := make([]float64, qc.m*qc.n)
	for i := range qc.m {
		for j := range qc.n {
			s, abs := 0.0, 0.0
			for k := range qc.k {
				t := float64(x[i*ld+k]) * deq[j][k]
				s += t
				abs += math.Abs(t)
			}
			want[i*qc.n+j] = float64(roundTo(dt, []float32{float32(s)})[0])
			mag[i*qc.n+j] = max(abs, math.Abs(want[i*qc.n+j]))
		}
	}
	return want, mag
}

func checkAffine(bits int, dt string, mm bool) checkFunc {
	return func(c *checkCtx, name string) error {
		for _, qc := range quantCases() {
			var codes []uint32
			var scales, biases []float32
			deq := make([][]float64, qc.n)
			for j := range qc.n {
				w := randn(c.rng, qc.k, 1)
				cw, s, b := affineQuantize(dt, w, bits, qc.gs)
				codes, scales, biases = append(codes, cw...), append(scales, s...), append(biases, b...)
				per := 32 / bits
				deq[j] = make([]float64, qc.k)
				for k := range qc.k {
					q := (cw[k/per] >> (uint(k%per) * uint(bits))) & (1<<bits - 1)
					deq[j][k] = float64(s[k/qc.gs])*float64(q) + float64(b[k/qc.gs])
				}
			}
			x := roundTo(dt, randn(c.rng, max(qc.m*(qc.k+qc.xpad), 1), 1))
			want, mag := quantRef(dt, qc, x, deq)
			p := metal.QuantParams{M: uint32(qc.m), N: uint32(qc.n), K: uint32(qc.k), GroupSize: uint32(qc.gs),
				Bits: uint32(bits), XRowStride: uint32(qc.k + qc.xpad)}
			l := metal.QMVLaunch(&p)
			if mm {
				l = metal.QMMLaunch(&p)
			}
			out, err := c.dispatch(name, l, []buf{{0, u32bytes(codes)}, {1, encode(dt, scales)}, {2, encode(dt, biases)},
				{3, encode(dt, x)}, {4, poison(dt, qc.m*qc.n)}, {5, p.Bytes()}})
			if err != nil {
				return fmt.Errorf("case %+v: %w", qc, err)
			}
			if out == nil {
				continue
			}
			if err := compare(decode(dt, out[4]), want, mag, tolFor(dt)); err != nil {
				return fmt.Errorf("case %+v: %w", qc, err)
			}
		}
		return nil
	}
}

// ggmlBlocks draws random GGML Q8_0 (kind 8) or Q4_0 (kind 4) rows and
// dequantizes them per docs/FORMATS.md section 3.
func (c *checkCtx) ggmlBlocks(kind, n, k int) ([]byte, [][]float64) {
	bsz := 34
	if kind == 4 {
		bsz = 18
	}
	nb := k / 32
	raw := make([]byte, max(n*nb*bsz, 1))
	deq := make([][]float64, n)
	for j := range n {
		deq[j] = make([]float64, k)
		for b := range nb {
			blk := raw[(j*nb+b)*bsz:]
			d := float16.Fromfloat32(float32(c.rng.NormFloat64() * 0.05))
			binary.LittleEndian.PutUint16(blk, d.Bits())
			df := float64(d.Float32())
			for i := 0; i < bsz-2; i++ {
				blk[2+i] = byte(c.rng.IntN(256))
			}
			for i := range 32 {
				var q int
				switch {
				case kind == 8:
					q = int(int8(blk[2+i]))
				case i < 16:
					q = int(blk[2+i]&15) - 8
				default:
					q = int(blk[2+i-16]>>4) - 8
				}
				deq[j][b*32+i] = df * float64(q)
			}
		}
	}
	return raw, deq
}

func checkGGML(kind int, mm bool) checkFunc {
	return func(c *checkCtx, name string) error {
		for _, qc := range quantCases() {
			raw, deq := c.ggmlBlocks(kind, qc.n, qc.k)
			x := randn(c.rng, max(qc.m*(qc.k+qc.xpad), 1), 1)
			want, mag := quantRef("f32", qc, x, deq)
			p := metal.QuantParams{M: uint32(qc.m), N: uint32(qc.n), K: uint32(qc.k), GroupSize: 32,
				XRowStride: uint32(qc.k + qc.xpad)}
			l := metal.QMVLaunch(&p)
			if mm {
				l = metal.QMMLaunch(&p)
			}
			out, err := c.dispatch(name, l, []buf{{0, raw}, {1, encode("f32", x)}, {2, poison("f32", qc.m*qc.n)}, {3, p.Bytes()}})
			if err != nil {
				return fmt.Errorf("case %+v: %w", qc, err)
			}
			if out == nil {
				continue
			}
			if err := compare(decode("f32", out[2]), want, mag, tolFor("f32")); err != nil {
				return fmt.Errorf("case %+v: %w", qc, err)
			}
		}
		return nil
	}
}
