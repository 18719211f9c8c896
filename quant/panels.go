package quant

import (
	"fmt"

	"github.com/lbrx/lbrx/core"
)

// panelRows is how many weight rows the panel kernel decodes for one
// Sgemm call: 64 rows of K = 4096 are 1 MiB of float32, a small part of
// any weight worth batching for, and enough columns for the gemm's
// micro-kernels to run at speed.
const panelRows = 64

// panelMinRows is the batch from which the panel kernel (decode a panel,
// then core's Sgemm with its AVX-512/AVX2/NEON micro-kernels) beats the
// tile kernel's 4-row dot.
const panelMinRows = 16

// matMulPanels computes y = x @ W^T for a large batch (prefill): weight
// rows are decoded panelRows at a time, exactly as ggml's to_float, into
// one reused buffer, and multiplied with all m input rows by
// core.MatMul, so each block is read and decoded once per call and only
// one panel of W exists as floats at any time.
func (w *BlockWeight) matMulPanels(y, x []float32, m int) error {
	typ := ggmlSchemes[w.Scheme].typ
	bb, bv := BlockBytes(w.Scheme), BlockValues(w.Scheme)
	rowBytes := w.K / bv * bb
	xt, err := core.FromSlice(x[:m*w.K], m, w.K)
	if err != nil {
		return err
	}
	p := min(panelRows, w.N)
	panel, err := core.Zeros[float32](p, w.K)
	if err != nil {
		return err
	}
	buf, err := panel.Data()
	if err != nil {
		return err
	}
	for n0 := 0; n0 < w.N; n0 += p {
		rows := min(p, w.N-n0)
		parallelRows(rows, rows*w.K*8, func(lo, hi int) {
			src := w.Blocks[(n0+lo)*rowBytes : (n0+hi)*rowBytes]
			// Cannot fail: the type is known and the sizes match.
			decodeBlocks(w.Scheme, typ, src, buf[lo*w.K:hi*w.K])
		})
		pv := panel
		if rows < p {
			if pv, err = panel.Slice(0, 0, rows, 1); err != nil {
				return err
			}
		}
		pt, err := pv.T()
		if err != nil {
			return err
		}
		res, err := core.MatMul(xt, pt)
		if err != nil {
			return fmt.Errorf("panel of rows %d-%d: %w", n0, n0+rows, err)
		}
		out, err := res.Data()
		if err != nil {
			return err
		}
		for r := range m {
			copy(y[r*w.N+n0:r*w.N+n0+rows], out[r*rows:(r+1)*rows])
		}
	}
	return nil
}
