package quant

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

// tileChunk is the span of K the tile kernel covers before moving to the
// next weight row: m rows of it (256 KiB at m = 64) stay in L2 while all
// the weight rows of the goroutine pass, instead of every weight row
// pulling all of x through the cache.
const tileChunk = 1024

// matMulTiles is the portable reference kernel for every ggml scheme and
// the batched (prefill) kernel: each weight row is decoded a tile of
// whole blocks at a time, exactly as ggml's to_float (gguf.Dequantize),
// and the tile is dotted with every input row before the next tile is
// decoded, so each block is read and decoded once per call whatever m is
// and the full dequantized W never exists. y accumulates one partial sum
// per K chunk.
func (w *BlockWeight) matMulTiles(y, x []float32, m int) {
	typ := ggmlSchemes[w.Scheme].typ
	bb, bv := BlockBytes(w.Scheme), BlockValues(w.Scheme)
	per := max(1, tileValues/bv) // blocks per tile
	nb := w.K / bv
	chunk := max(bv, tileChunk/bv*bv)
	parallelRows(w.N, m*w.N*w.K, func(lo, hi int) {
		tile := make([]float32, per*bv)
		var out [4]float32
		for n := lo; n < hi; n++ {
			for r := range m {
				y[r*w.N+n] = 0
			}
		}
		for k0 := 0; k0 < w.K; k0 += chunk {
			b0, b1 := k0/bv, min(nb, (k0+chunk)/bv)
			for n := lo; n < hi; n++ {
				row := w.Blocks[n*nb*bb : (n+1)*nb*bb]
				for t0 := b0; t0 < b1; t0 += per {
					t1 := min(b1, t0+per)
					t := tile[:(t1-t0)*bv]
					// Cannot fail: the type is known and the sizes match.
					decodeBlocks(w.Scheme, typ, row[t0*bb:t1*bb], t)
					r := 0
					if dotRows4 != nil {
						for ; r+4 <= m; r += 4 {
							dotRows4(&out, t, x[r*w.K+t0*bv:], w.K)
							y[r*w.N+n] += out[0]
							y[(r+1)*w.N+n] += out[1]
							y[(r+2)*w.N+n] += out[2]
							y[(r+3)*w.N+n] += out[3]
						}
					}
					for ; r < m; r++ {
						y[r*w.N+n] += dotF32(t, x[r*w.K+t0*bv:])
					}
				}
			}
		}
	})
}
