package main

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/metal"
	"github.com/lbrx/lbrx/quant"
	"github.com/x448/float16"
)

type quantCase struct{ m, n, k, gs, xpad int }

// quantCases are fixed edge cases plus two random ones drawn from r.
func quantCases(r *rand.Rand) []quantCase {
	random := make([]quantCase, 2)
	for i := range random {
		gs := 32 << r.IntN(3)
		random[i] = quantCase{m: 1 + r.IntN(40), n: 1 + r.IntN(40), k: gs * (1 + r.IntN(4)), gs: gs, xpad: r.IntN(3)}
	}
	return append([]quantCase{
		{1, 1, 32, 32, 0}, {1, 13, 64, 32, 0}, {3, 17, 128, 64, 5}, {2, 9, 256, 128, 0},
		{5, 40, 96, 32, 0}, {33, 35, 64, 32, 1}, {0, 3, 32, 32, 0},
	}, random...)
}

// nonEmpty gives a zero-length buffer one byte, as Metal buffers are never
// empty.
func nonEmpty(b []byte) []byte {
	if len(b) == 0 {
		return []byte{0}
	}
	return b
}

// xRows gathers the [m, k] activations out of rows ld elements apart.
func xRows(x []float32, m, k, ld int) []float32 {
	out := make([]float32, 0, m*k)
	for i := range m {
		out = append(out, x[i*ld:i*ld+k]...)
	}
	return out
}

// quantReference is y = x W^T over the dequantized weight, rounded to
// dt, and the error scale sum_k |x| |W| from the dequantized weight.
func quantReference(dt string, qc quantCase, x []float32, w *core.Array) ([]float64, []float64, error) {
	xa, err := hostArray(dt, []int{qc.m, qc.k}, xRows(x, qc.m, qc.k, qc.k+qc.xpad))
	if err != nil {
		return nil, nil, err
	}
	yv, err := exactQuantMatMul(dt, xa, w)
	if err != nil {
		return nil, nil, err
	}
	deq, err := quant.DequantizeFloat32(w)
	if err != nil {
		return nil, nil, err
	}
	dv, err := deq.Values()
	if err != nil {
		return nil, nil, err
	}
	xv := xRows(x, qc.m, qc.k, qc.k+qc.xpad)
	mag := make([]float64, len(yv))
	for i := range qc.m {
		for j := range qc.n {
			abs := 0.0
			for k := range qc.k {
				abs += math.Abs(float64(xv[i*qc.k+k]) * float64(dv[j*qc.k+k]))
			}
			yv[i*qc.n+j] = rounded(dt, yv[i*qc.n+j])
			mag[i*qc.n+j] = max(abs, math.Abs(yv[i*qc.n+j]))
		}
	}
	return yv, mag, nil
}

// affineWeight quantizes a random [n, k] weight of dtype dt with the quant
// module (MLX's algorithm) and returns it with its codes, scales and biases
// as the kernel reads them.
func (c *checkCtx) affineWeight(dt string, n, k, bits, gs int) (w *core.Array, codes, scales, biases []byte, err error) {
	wf, err := hostArray(dt, []int{n, k}, roundTo(dt, randn(c.rng, n*k, 1)))
	if err != nil {
		return nil, nil, nil, nil, err
	}
	if w, err = quant.Quantize(wf, bits, gs); err != nil {
		return nil, nil, nil, nil, err
	}
	q := w.Quant()
	if q == nil || q.Scales == nil || q.Biases == nil || q.Scales.DType() != coreDType(dt) {
		return nil, nil, nil, nil, fmt.Errorf("quant.Quantize gave no %s scales/biases", dt)
	}
	if codes, err = w.Bytes(); err != nil {
		return nil, nil, nil, nil, err
	}
	if scales, err = q.Scales.Bytes(); err != nil {
		return nil, nil, nil, nil, err
	}
	biases, err = q.Biases.Bytes()
	return w, codes, scales, biases, err
}

func checkAffine(bits int, dt string, mm bool) checkFunc {
	return func(c *checkCtx, name string) error {
		for _, qc := range quantCases(c.rng) {
			w, codes, scales, biases, err := c.affineWeight(dt, qc.n, qc.k, bits, qc.gs)
			if err != nil {
				return fmt.Errorf("case %+v: quant reference: %w", qc, err)
			}
			x := roundTo(dt, randn(c.rng, max(qc.m*(qc.k+qc.xpad), 1), 1))
			want, mag, err := quantReference(dt, qc, x, w)
			if err != nil {
				return fmt.Errorf("case %+v: quant reference: %w", qc, err)
			}
			p := metal.QuantParams{M: uint32(qc.m), N: uint32(qc.n), K: uint32(qc.k), GroupSize: uint32(qc.gs),
				Bits: uint32(bits), XRowStride: uint32(qc.k + qc.xpad)}
			l := metal.QMVLaunch(&p)
			if mm {
				l = metal.QMMLaunch(&p)
			}
			out, err := c.dispatch(name, l, []buf{{0, codes}, {1, scales}, {2, biases},
				{3, encode(dt, x)}, {4, poison(dt, qc.m*qc.n)}, {5, p.Bytes()}}, 4)
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

// ggmlBlocks draws random GGML Q8_0 (kind 8) or Q4_0 (kind 4) rows: a
// random f16 scale per block and uniformly random code bytes (so -128 and
// every nibble occur, which no quantizer guarantees), wrapped by the quant
// module as a weight of logical shape [n, k].
func (c *checkCtx) ggmlBlocks(kind, n, k int) ([]byte, *core.Array, error) {
	scheme := core.SchemeQ8_0
	if kind == 4 {
		scheme = core.SchemeQ4_0
	}
	bsz := quant.BlockBytes(scheme)
	nb := k / 32
	raw := make([]byte, n*nb*bsz)
	for blk := 0; blk < n*nb; blk++ {
		d := float16.Fromfloat32(float32(c.rng.NormFloat64() * 0.05))
		binary.LittleEndian.PutUint16(raw[blk*bsz:], d.Bits())
		for i := 2; i < bsz; i++ {
			raw[blk*bsz+i] = byte(c.rng.IntN(256))
		}
	}
	w, err := quant.FromBlocks(raw, scheme, core.Shape{n, k})
	return raw, w, err
}

func checkGGML(kind int, mm bool) checkFunc {
	return func(c *checkCtx, name string) error {
		for _, qc := range quantCases(c.rng) {
			raw, w, err := c.ggmlBlocks(kind, qc.n, qc.k)
			if err != nil {
				return fmt.Errorf("case %+v: quant reference: %w", qc, err)
			}
			x := randn(c.rng, max(qc.m*(qc.k+qc.xpad), 1), 1)
			want, mag, err := quantReference("f32", qc, x, w)
			if err != nil {
				return fmt.Errorf("case %+v: quant reference: %w", qc, err)
			}
			p := metal.QuantParams{M: uint32(qc.m), N: uint32(qc.n), K: uint32(qc.k), GroupSize: 32,
				XRowStride: uint32(qc.k + qc.xpad)}
			l := metal.QMVLaunch(&p)
			if mm {
				l = metal.QMMLaunch(&p)
			}
			out, err := c.dispatch(name, l, []buf{{0, nonEmpty(raw)}, {1, encode("f32", x)}, {2, poison("f32", qc.m*qc.n)}, {3, p.Bytes()}}, 2)
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
