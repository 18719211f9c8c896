package quant

import "github.com/lbrx/lbrx/core/gguf"

// tileRows is the batch from which the tile kernel, which decodes each
// block once for all input rows, beats running the fused row kernels
// once per input row.
const tileRows = 4

// dotRows4 sets out[r] = Σ t[i]*x[r*stride+i] for four input rows (len(t)
// a multiple of 8), sharing each load of the tile; nil where the CPU has
// no kernel for it (block_kernels_amd64.go).
var dotRows4 func(out *[4]float32, t, x []float32, stride int)

// tileValues is how many weight values the tile kernel decodes at a time:
// 1 KiB of float32, which stays in L1 while every input row passes.
const tileValues = 256

// matMulTiles is the portable reference kernel for every ggml scheme:
// each weight row is decoded a tile of whole blocks at a time, exactly as
// ggml's to_float (gguf.Dequantize), and the tile is dotted with every
// input row before the next tile is decoded, so each block is read and
// decoded once per call whatever m is and the full dequantized W never
// exists.
func (w *BlockWeight) matMulTiles(y, x []float32, m int) {
	typ := ggmlSchemes[w.Scheme].typ
	bb, bv := BlockBytes(w.Scheme), BlockValues(w.Scheme)
	per := max(1, tileValues/bv) // blocks per tile
	nb := w.K / bv
	parallelRows(w.N, m*w.N*w.K, func(lo, hi int) {
		tile := make([]float32, per*bv)
		acc := make([]float32, m)
		var out [4]float32
		for n := lo; n < hi; n++ {
			row := w.Blocks[n*nb*bb : (n+1)*nb*bb]
			clear(acc)
			for b0 := 0; b0 < nb; b0 += per {
				b1 := min(nb, b0+per)
				t := tile[:(b1-b0)*bv]
				// Cannot fail: the type is known and the sizes match.
				_ = gguf.Dequantize(typ, row[b0*bb:b1*bb], t)
				r := 0
				if dotRows4 != nil {
					for ; r+4 <= m; r += 4 {
						dotRows4(&out, t, x[r*w.K+b0*bv:], w.K)
						acc[r] += out[0]
						acc[r+1] += out[1]
						acc[r+2] += out[2]
						acc[r+3] += out[3]
					}
				}
				for ; r < m; r++ {
					acc[r] += dotF32(t, x[r*w.K+b0*bv:])
				}
			}
			for r, v := range acc {
				y[r*w.N+n] = v
			}
		}
	})
}
