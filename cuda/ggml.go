package cuda

import (
	"cmp"
	"fmt"
	"os"

	"github.com/lbrx/lbrx/core"
)

// ggmlType is one ggml block format that kernels/ggml.cu reads in place.
type ggmlType struct {
	kernel string // name part of its kernels: gmv_<kernel>_1, gmv_<kernel>_8, gmm_<kernel>
	qk     int    // values per block
	bytes  int    // bytes per block
	align  int    // address alignment the kernels' loads need
}

// ggmlTypes lists the block formats (ggml-common.h; FORMATS.md). Blocks
// whose size is a multiple of 4 are read in 32-bit words, the others in
// 16-bit halves.
var ggmlTypes = map[core.Scheme]ggmlType{
	core.SchemeQ4_0:   {"q4_0", 32, 18, 2},
	core.SchemeQ4_1:   {"q4_1", 32, 20, 4},
	core.SchemeQ5_0:   {"q5_0", 32, 22, 2},
	core.SchemeQ5_1:   {"q5_1", 32, 24, 4},
	core.SchemeQ8_0:   {"q8_0", 32, 34, 2},
	core.SchemeIQ4_NL: {"iq4_nl", 32, 18, 2},
	core.SchemeQ2_K:   {"q2_k", 256, 84, 4},
	core.SchemeQ3_K:   {"q3_k", 256, 110, 2},
	core.SchemeQ4_K:   {"q4_k", 256, 144, 4},
	core.SchemeQ5_K:   {"q5_k", 256, 176, 4},
	core.SchemeQ6_K:   {"q6_k", 256, 210, 2},
}

// gmvMaxM is how many activation rows one ggml matrix-vector launch takes;
// batches up to gmvMaxRows run as several such launches (each reads the
// weight again), larger ones through the tiled matrix-matrix kernel.
const (
	gmvMaxM    = 8
	gmvMaxRows = 32
	gmmTileM   = 64  // GMM_BM in kernels/ggml.cu
	gmmTileN   = 128 // GMM_BN
)

// checkGGMLShape validates ggml blocks against the logical shape [n, k].
func checkGGMLShape(w *core.Array, q *core.QuantizationInfo, t ggmlType, n, k int) error {
	if k%t.qk != 0 {
		return fmt.Errorf("cuda: quantized weight %v: %s needs columns in blocks of %d, have %d", w, q.Scheme, t.qk, k)
	}
	if want := n * (k / t.qk) * t.bytes; w.DType() != core.U8 || w.NumElements() != want {
		return fmt.Errorf("cuda: quantized weight %v: want %d bytes (U8) of %s blocks for [%d %d]", w, want, q.Scheme, n, k)
	}
	return nil
}

// ggmlMatmul runs y = x @ W^T for ggml blocks: matrix-vector kernels for up
// to gmvMaxRows activation rows (one launch per gmvMaxM); beyond, W
// dequantized and cuBLAS (dequantGEMM; or, with ggmlDequantGEMM off,
// the tiled matrix-matrix kernels, which write no dequantized copy).
func (d *Device) ggmlMatmul(op *core.Op, t ggmlType, x, w, out *core.Array, m, n, k int) error {
	if dataPtr(w)%devicePtr(t.align) != 0 {
		return unsupported(op, "%s blocks at an address not %d-byte aligned", t.kernel, t.align)
	}
	if int64(m)*int64(k) >= 1<<31 || int64(n)*int64(k) >= 1<<31 || w.NumElements() >= 1<<31 {
		return unsupported(op, "%s weight [%d %d] with %d activation rows past 32-bit indexing", t.kernel, n, k, m)
	}
	xt := x.DType()
	cx, release, err := d.aligned16(x)
	if err != nil {
		return err
	}
	defer release()
	a := func(xp, yp devicePtr, rows int) *kargs {
		return (&kargs{}).ptr(xp).ptr(dataPtr(w)).ptr(yp).i32(rows).i32(n).i32(k)
	}
	if m > gmvMaxRows && ggmlDequantGEMM {
		// W decoded once (each value rounded as the tiled kernels
		// round it), then cuBLAS (qgemm.go): on an H200 the tiled
		// kernels ran a 512-token prefill's products at 60-120 TFLOP/s,
		// a fraction of cuBLAS's.
		return d.dequantGEMM(cx, out, m, n, k, func(dst devicePtr, wt core.DType) error {
			chunks := int64(n) * int64(k/32)
			da := (&kargs{}).ptr(dataPtr(w)).ptr(dst).i64(int(chunks)).i32(k)
			return d.launch("ggml", wt, fmt.Sprintf("dequant_%s_%s", t.kernel, suffix(wt)), d.gridFor(chunks), gridBlock, da)
		})
	}
	if m > gmvMaxRows {
		// f16/bf16 on sm_80 and newer: tensor cores (gmt_); else FMAs.
		kind := "gmm"
		if (xt == core.F16 || xt == core.BF16) && d.cc >= 80 && gmmTensorCores {
			kind = "gmt"
		}
		grid := (m + gmmTileM - 1) / gmmTileM * ((n + gmmTileN - 1) / gmmTileN)
		return d.launch("ggml", xt, fmt.Sprintf("%s_%s_%s", kind, t.kernel, suffix(xt)), grid, 256, a(dataPtr(cx), dataPtr(out), m))
	}
	if m == 1 && canQMVI(k) {
		return d.gmvi(t, w, dataPtr(cx), dataPtr(out), xt, n, k)
	}
	for m0 := 0; m0 < m; m0 += gmvMaxM {
		mb := min(gmvMaxM, m-m0)
		// One activation row: 4 outputs per warp; more: 2 (the
		// accumulators take MAXM*ROWS registers).
		variant, rows := "8", 2
		if mb == 1 {
			variant, rows = "1", 4
			if gmvRows1 != 4 {
				variant, rows = fmt.Sprintf("1r%d", gmvRows1), gmvRows1
			}
		}
		xp := dataPtr(cx) + devicePtr(m0*k*xt.Size())
		yp := dataPtr(out) + devicePtr(m0*n*xt.Size())
		name := fmt.Sprintf("gmv_%s_%s_%s", t.kernel, variant, suffix(xt))
		perBlock := rows * gmvWarps
		if err := d.launch("ggml", xt, name, (n+perBlock-1)/perBlock, gmvWarps*32, a(xp, yp, mb)); err != nil {
			return err
		}
	}
	return nil
}

// gmvRows1 is how many outputs a warp of the one-row ggml kernels
// computes: 4 (gmv_<type>_1), or 1 or 2 (_1r1, _1r2), which give a
// decode step's short products (N = 2048) more warps than the 64 blocks
// of 4. LBRX_CUDA_GMV=1, 2 or 4 picks it, for benchmarks.
var gmvRows1 = cmp.Or(map[string]int{"1": 1, "2": 2}[os.Getenv("LBRX_CUDA_GMV")], 4)

// gmvWarps is GMV_WARPS in kernels/ggml.cu.
const gmvWarps = 8

// ggmlDequantGEMM sends products of more than gmvMaxRows activation rows
// through a dequantized copy of W and cuBLAS instead of the tiled kernels;
// tests and benchmarks turn it off to run those.
var ggmlDequantGEMM = true

// gmmTensorCores selects the tensor-core matrix-matrix kernel where it
// applies; tests and benchmarks turn it off to run the FMA kernel.
var gmmTensorCores = true

// aligned16 returns a contiguous and 16-byte aligned (the kernels read x
// sixteen bytes at a time), gathering or copying it into a temporary
// buffer when it is not; the second result releases that buffer.
func (d *Device) aligned16(a *core.Array) (*core.Array, func(), error) {
	c, release, err := d.contiguous(a)
	if err != nil || dataPtr(c)%16 == 0 {
		return c, release, err
	}
	release()
	n := a.NumElements() * a.DType().Size()
	st, err := d.alloc(n, false)
	if err != nil {
		return nil, nil, err
	}
	cp, err := core.NewArray(a.DType(), a.Shape(), st, 0)
	if err == nil {
		err = check("cuMemcpyDtoDAsync", drv.memcpyDtoDAsync(st.ptr, dataPtr(c), uint64(n), d.stream))
	}
	if err != nil {
		st.Release()
		return nil, nil, err
	}
	return cp, st.Release, nil
}
