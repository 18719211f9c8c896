package quant

import "fmt"

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

// MatMul computes y = x @ W^T; see Weight. Small batches run the fused
// row kernels (block_kernels.go: scales unpacked in registers, the
// blocks never written out as floats; each weight row is read from
// memory once and stays in L1 while the m input rows pass), large ones
// the panel kernel (panels.go: each block decoded once for all rows).
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
	rk := rowKernels[w.Scheme]
	// The integer kernels run every batch where they decode each weight
	// once for four inputs (dot4), small batches otherwise.
	if ik := intKernels[w.Scheme]; ik != nil && ik.gemm != nil && m >= ik.gemm.from {
		w.matMulGEMM(y, w.N, 0, x, m, ik.gemm)
		return nil
	}
	if ik := intKernels[w.Scheme]; ik != nil && (m < rk.panelFrom() || ik.dot4 != nil) {
		w.matMulRowsInt(y, x, m, ik)
		return nil
	}
	if m < rk.panelFrom() {
		w.matMulRows(y, x, m, rk)
		return nil
	}
	w.matMulPanels(y, x, m)
	return nil
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
