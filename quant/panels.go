package quant

import (
	"sync"

	"github.com/lbrx/lbrx/core"
)

// panelFloats bounds one decoded panel (2 MiB of float32): large enough
// that the input rows, packed again for every panel, are packed few
// times (a 64-row panel of K = 2048 repacked the 64 inputs 32 times per
// product of 2048 outputs), small enough to stay in the L2/L3 caches
// between its decode and its product.
const panelFloats = 1 << 19

// panelFrom is the batch from which the panel kernel (decode a panel,
// then core's Sgemm) beats running the row
// kernel once per input row: 32 with an assembly row kernel, 8 with the
// Go loops. Measured on 4096² Q4_K and Q8_0 (and Q6_K), one thread, Zen 5
// with AVX-512: row kernels 86-94 ms at m = 32 against panels 86-128 ms,
// panels ahead at m = 64; with -tags noasm the two cross near m = 8.
// (Measured before the panels got the assembly block decoders and larger
// panels; not re-measured since.)
func (rk *rowKernel) panelFrom() int {
	if rk.goDot != nil {
		return 32
	}
	return 8
}

// panelPool holds the panel buffers between calls (a prefill runs about
// a hundred products, each of which would otherwise allocate and clear
// its panel).
var panelPool sync.Pool // *[]float32

// panelRows is how many weight rows one panel of K inputs holds: 64 to
// 256, a multiple of 16.
func panelRows(k int) int {
	return min(256, max(64, panelFloats/max(k, 1)/16*16))
}

// matMulPanels computes y = x @ W^T for a large batch (prefill): weight
// rows are decoded a panel at a time, exactly as ggml's to_float, into
// one reused buffer, and multiplied with all m input rows by core.Sgemm
// straight into y, so each block is read and decoded once per call and
// only one panel of W exists as floats at any time.
func (w *BlockWeight) matMulPanels(y, x []float32, m int) {
	typ := ggmlSchemes[w.Scheme].typ
	bb, bv := BlockBytes(w.Scheme), BlockValues(w.Scheme)
	rowBytes := w.K / bv * bb
	p := min(panelRows(w.K), w.N)
	var buf []float32
	if b, ok := panelPool.Get().(*[]float32); ok && cap(*b) >= p*w.K {
		buf = (*b)[:p*w.K]
	} else {
		buf = make([]float32, p*w.K)
	}
	defer panelPool.Put(&buf)
	for n0 := 0; n0 < w.N; n0 += p {
		rows := min(p, w.N-n0)
		parallelRows(rows, rows*w.K*8, func(lo, hi int) {
			src := w.Blocks[(n0+lo)*rowBytes : (n0+hi)*rowBytes]
			decodeBlocks(w.Scheme, typ, src, buf[lo*w.K:hi*w.K])
		})
		// y[:, n0:n0+rows] = x · panelᵀ, written in place (row stride N).
		core.Sgemm(false, true, m, rows, w.K, x[:m*w.K], w.K, buf[:rows*w.K], w.K, y[n0:], w.N)
	}
}
