package quant

import (
	"encoding/binary"
	"math"
	"sync"

	"github.com/lbrx/lbrx/core"
)

// intGEMM is the int8 GEMM of a ggml scheme (Q4_0, Q8_0) for batches
// (prefill): the row kernels (int_kernels.go) decode every weight block
// again for each input or four, spending most of their operations on
// converting and scaling each block's integer sums; here 32 weight rows
// (two panels of 16) are first repacked into panels that stay in L2,
// then multiplied with up to gemmMaxC inputs at a time, every block's
// 32 integer sums per input formed by sixteen VPDPBUSD and converted and
// scaled once. (Single panels of 16 rows with 8 inputs per call, each
// VPDPBUSD broadcasting its input codes from memory, ran at about 60%
// of the VPDPBUSD rate, bound by loads; two panels share each
// broadcast.)
//
// Panel (repack, 16 rows of nb blocks, panelBlockBytes per block): the
// 16 rows' scales d_w as float32, then 8 vectors of 64 bytes, vector j
// holding the unsigned codes of values 4j..4j+3 of row r in bytes
// 4r..4r+3 (Q4_0: its codes as stored, 0..15; Q8_0: q+128). Rows past
// the weight's last are zero. The two-panel kernels read the second
// panel nb*panelBlockBytes after the first.
//
// Input tile (packGEMM, c inputs, 40*c bytes per block): the c inputs'
// 32 codes of the block, then their int32 initial sums (-offset*Σq_x,
// which takes the weights' offset, 8 or 128, back out), then their
// scales d_x as float32.
type intGEMM struct {
	// repack writes the panel of 16 rows of nb blocks, stride bytes
	// apart, into panel (len nb*panelBlockBytes).
	repack func(rows []byte, stride, nb int, panel []byte)
	// kernels[c-1] multiplies a panel with c inputs, kernels2[c-1] two.
	kernels  [gemmMaxC]gemmKernel
	kernels2 [gemmMaxC]gemmKernel2
	// offset is what the packed codes add to each weight code (8 for
	// Q4_0's nibbles, 128 for Q8_0's flipped sign bits).
	offset int32
	// from is the smallest batch that runs the GEMM: below, repacking
	// each weight panel costs more than the row kernels save (4096² on
	// one thread: Q4_0 even at 3 and 5 inputs, 26% slower at 4, where
	// the four-input row kernel runs, 12% faster at 6; Q8_0 even at 2,
	// 1.4x faster at 3, 1.8x at 8).
	from int
}

// gemmKernel writes y[i*yStride+r] = Σ_b d_w[r]*d_x[i]*(sum_i + Σ
// u_w*q_x) for the rows r < 16 set in mask and its c inputs i, and on
// the way prefetches into L2 up to 128*nb bytes of pf (the memory the
// next repack reads; at most the first 128*nb bytes count, the rest is
// ignored).
type gemmKernel func(panel, act []byte, nb int, y []float32, yStride int, mask uint16, pf []byte)

// gemmKernel2 is gemmKernel over two panels (32 rows; panel holds both,
// the second nb*panelBlockBytes on), prefetching up to 256*nb bytes of
// pf.
type gemmKernel2 func(panel, act []byte, nb int, y []float32, yStride int, mask uint32, pf []byte)

const (
	gemmMaxC        = 4 // inputs per micro-kernel call (the generator's gemmMaxC)
	gemmRows        = 16
	panelBlockBytes = 64 + 8*64
)

// packGEMM writes input number input of m, quantized as a, into its
// tile of dst (m inputs of nb blocks, 40 bytes per input and block,
// tile by tile, gemmMaxC inputs per tile but the last), each block's
// initial sum being sumScale*Σq_x (the negated weight offset).
func packGEMM(dst []byte, a *q8Row, m, input, nb int, sumScale int32) {
	t, i := input/gemmMaxC, input%gemmMaxC
	c := min(gemmMaxC, m-gemmMaxC*t)
	tile := dst[gemmMaxC*t*40*nb:]
	qs := codeBytes(a)
	for b := range nb {
		p := tile[40*c*b : 40*c*(b+1)]
		copy(p[32*i:32*i+32], qs[32*b:32*b+32])
		binary.LittleEndian.PutUint32(p[32*c+4*i:], uint32(sumScale*a.sum[b]))
		binary.LittleEndian.PutUint32(p[36*c+4*i:], math.Float32bits(a.d[b]))
	}
}

// repackGo is the portable repack (the spec of the assembly ones) of
// the 16 rows of nb blocks of scheme bb/offset at stride into panel.
func repackGo(rows []byte, stride, nb, bb int, offset int32, panel []byte) {
	for b := range nb {
		p := panel[b*panelBlockBytes:]
		for r := range gemmRows {
			blk := rows[r*stride+b*bb:]
			binary.LittleEndian.PutUint32(p[4*r:], math.Float32bits(f16Bits(blk)))
			for v := range 32 {
				var u byte
				if offset == 8 { // Q4_0: value v < 16 the low nibble of byte v, else the high one of v-16
					u = blk[2+v%16] & 15
					if v >= 16 {
						u = blk[2+v%16] >> 4
					}
				} else {
					u = blk[2+v] ^ 0x80
				}
				p[64+64*(v/4)+4*r+v%4] = u
			}
		}
	}
}

// gemmBuf holds a worker's panel between products.
type gemmBuf struct{ panel, pad []byte }

var (
	gemmPool sync.Pool // *gemmBuf
	rowPool  sync.Pool // *q8Row, a worker's quantized input row
)

// matMulGEMM is matMulRowsInt through the int8 GEMM: the m inputs are
// quantized and packed in tiles of up to gemmMaxC, then each worker
// repacks its panels of 16 rows and runs every tile over each. Output
// row r goes to y[r*yStride+col:][:w.N] (yStride = w.N, col = 0 for a
// plain product; matMulConcat's columns otherwise).
func (w *BlockWeight) matMulGEMM(y []float32, yStride, col int, x []float32, m int, g *intGEMM) {
	bb, bv := BlockBytes(w.Scheme), BlockValues(w.Scheme)
	nb := w.K / bv
	buf := actPool.Get().(*actBuf)
	defer actPool.Put(buf)
	buf.packed = grow(buf.packed, m*40*nb)
	act := buf.packed[:m*40*nb]
	// The inputs are quantized over the workers too (a prompt's are a
	// few percent of the product, serial otherwise).
	quantize := func(lo, hi int) {
		row, _ := rowPool.Get().(*q8Row)
		if row == nil {
			row = new(q8Row)
		}
		defer rowPool.Put(row)
		for r := lo; r < hi; r++ {
			quantizeQ8Row(row, x[r*w.K:(r+1)*w.K])
			packGEMM(act, row, m, r, nb, -g.offset)
		}
	}
	if m*w.K >= 1<<16 {
		core.ParallelFor(m, 1, quantize)
	} else {
		quantize(0, m)
	}
	rb := nb * bb
	// Chunks of whole 32-row pairs of panels (but at the end).
	parallelRowsAligned(w.N, m*w.N*w.K, 2*gemmRows, func(lo, hi int) {
		gb, _ := gemmPool.Get().(*gemmBuf)
		if gb == nil {
			gb = new(gemmBuf)
		}
		defer gemmPool.Put(gb)
		pb := nb * panelBlockBytes
		gb.panel = grow(gb.panel, 2*pb)
		for n0 := lo; n0 < hi; n0 += 2 * gemmRows {
			rows := min(2*gemmRows, hi-n0)
			src := w.Blocks[n0*rb:]
			if n0+(rows+gemmRows-1)/gemmRows*gemmRows > w.N { // the last rows, padded with zero rows
				gb.pad = grow(gb.pad, 2*gemmRows*rb)
				clear(gb.pad[copy(gb.pad, src[:rows*rb]):])
				src = gb.pad
			}
			g.repack(src, rb, nb, gb.panel[:pb])
			if rows > gemmRows {
				g.repack(src[gemmRows*rb:], rb, nb, gb.panel[pb:2*pb])
			}
			// The tiles prefetch the next rows (contiguous), 256*nb
			// bytes each.
			var next []byte
			if n1 := n0 + rows; n1 < hi {
				next = w.Blocks[n1*rb : min(n1+2*gemmRows, hi)*rb]
			}
			for t := 0; t < m; t += gemmMaxC {
				c := min(gemmMaxC, m-t)
				pf := next[min(len(next), t/gemmMaxC*256*nb):]
				yt := y[t*yStride+col+n0:]
				if rows > gemmRows {
					g.kernels2[c-1](gb.panel, act[t*40*nb:], nb, yt, yStride, uint32(1)<<rows-1, pf)
				} else {
					g.kernels[c-1](gb.panel[:pb], act[t*40*nb:], nb, yt, yStride, uint16(uint32(1)<<rows-1), pf)
				}
			}
		}
	})
}
