package quant

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/lbrx/lbrx/core"
)

func (w *BlockWeight) check(y, x []float32, m int) error {
	bb, bv := BlockBytes(w.Scheme), BlockValues(w.Scheme)
	if bb == 0 {
		return fmt.Errorf("scheme %q is not a ggml block scheme", w.Scheme)
	}
	if w.K < 0 || w.K%bv != 0 || w.N < 0 || m < 0 {
		return fmt.Errorf("%s weight [%d %d]: K must be a multiple of %d", w.Scheme, w.N, w.K, bv)
	}
	if len(w.Blocks) < w.N*w.K/bv*bb {
		return fmt.Errorf("%s weight [%d %d]: %d bytes of blocks, need %d", w.Scheme, w.N, w.K, len(w.Blocks), w.N*w.K/bv*bb)
	}
	if len(x) < m*w.K || len(y) < m*w.N {
		return fmt.Errorf("x holds %d values and y %d, need %d and %d for %d rows", len(x), len(y), m*w.K, m*w.N, m)
	}
	return nil
}

// MatMul computes y = x @ W^T; see Weight. Per block: Q8_0 d*Σq*x, Q4_0
// d*Σq*x - 8d*Σx, Q4_1 d*Σq*x + m*Σx with q the unsigned nibble; the
// other schemes run the tile kernel (tiles.go).
func (w *BlockWeight) MatMul(y, x []float32, m int) error {
	if err := w.check(y, x, m); err != nil {
		return fmt.Errorf("block matmul: %w", err)
	}
	if m == 0 || w.N == 0 {
		return nil
	}
	if w.K == 0 { // an empty sum
		clear(y[:m*w.N])
		return nil
	}
	if rk := rowKernels[w.Scheme]; rk != nil && m < tileRows {
		w.matMulRows(y, x, m, rk)
		return nil
	}
	if !repackable(w.Scheme) || m >= tileRows {
		w.matMulTiles(y, x, m)
		return nil
	}
	xs := groupSums(x, m, w.K, blockValues)
	bb := BlockBytes(w.Scheme)
	nb := w.K / blockValues
	t := f16Table()
	parallelRows(w.N, m*w.N*w.K, func(lo, hi int) {
		qf := make([]float32, w.K)
		sc := make([]float32, nb)
		bs := make([]float32, nb)
		for n := lo; n < hi; n++ {
			row := w.Blocks[n*nb*bb : (n+1)*nb*bb]
			if m == 1 {
				y[n] = w.rowDot(row, x, xs, t)
				continue
			}
			w.decodeRow(qf, sc, bs, row, t)
			for r := range m {
				xr := x[r*w.K : (r+1)*w.K]
				xsr := xs[r*nb : (r+1)*nb]
				var acc float32
				for b := range nb {
					acc += sc[b]*dotF32(qf[b*32:(b+1)*32], xr[b*32:(b+1)*32]) + bs[b]*xsr[b]
				}
				y[r*w.N+n] = acc
			}
		}
	})
	return nil
}

func f16Load(t *[1 << 16]uint32, b []byte) float32 {
	return math.Float32frombits(t[binary.LittleEndian.Uint16(b)])
}

// rowDot is one output of the matrix-vector product, decoding each block
// in registers.
func (w *BlockWeight) rowDot(row []byte, x, xs []float32, t *[1 << 16]uint32) float32 {
	bb := BlockBytes(w.Scheme)
	var acc float32
	for b := range w.K / blockValues {
		blk := row[b*bb : (b+1)*bb]
		xb := (*[32]float32)(x[b*32:])
		d := f16Load(t, blk)
		switch w.Scheme {
		case core.SchemeQ8_0:
			qs := (*[32]byte)(blk[2:])
			var a0, a1, a2, a3 float32
			for j := 0; j < 32; j += 4 {
				a0 += float32(int8(qs[j])) * xb[j]
				a1 += float32(int8(qs[j+1])) * xb[j+1]
				a2 += float32(int8(qs[j+2])) * xb[j+2]
				a3 += float32(int8(qs[j+3])) * xb[j+3]
			}
			acc += d * ((a0 + a1) + (a2 + a3))
		case core.SchemeQ4_0:
			acc += d*nibbleDot((*[16]byte)(blk[2:]), xb) - 8*d*xs[b]
		default:
			acc += d*nibbleDot((*[16]byte)(blk[4:]), xb) + f16Load(t, blk[2:])*xs[b]
		}
	}
	return acc
}

// nibbleDot returns Σ q_j*x_j for a ggml Q4 block: the low nibble of
// qs[j] is value j, the high nibble value j+16.
func nibbleDot(qs *[16]byte, x *[32]float32) float32 {
	var a0, a1, a2, a3 float32
	for j := 0; j < 16; j += 2 {
		c, e := qs[j], qs[j+1]
		a0 += float32(c&15) * x[j]
		a1 += float32(c>>4) * x[j+16]
		a2 += float32(e&15) * x[j+1]
		a3 += float32(e>>4) * x[j+17]
	}
	return (a0 + a1) + (a2 + a3)
}

// decodeRow unpacks a row's codes into floats with per-block scale and
// bias, for the batched product.
func (w *BlockWeight) decodeRow(qf, sc, bs []float32, row []byte, t *[1 << 16]uint32) {
	bb := BlockBytes(w.Scheme)
	for b := range w.K / blockValues {
		blk := row[b*bb : (b+1)*bb]
		q := qf[b*32 : (b+1)*32]
		sc[b] = f16Load(t, blk)
		switch w.Scheme {
		case core.SchemeQ8_0:
			bs[b] = 0
			for j := range 32 {
				q[j] = float32(int8(blk[2+j]))
			}
		default:
			qs := blk[2:18]
			if w.Scheme == core.SchemeQ4_0 {
				bs[b] = -8 * sc[b]
			} else {
				bs[b] = f16Load(t, blk[2:])
				qs = blk[4:20]
			}
			for j := range 16 {
				q[j] = float32(qs[j] & 15)
				q[j+16] = float32(qs[j] >> 4)
			}
		}
	}
}
