//go:build amd64 && !noasm

package quant

import (
	"math/bits"

	"github.com/lbrx/lbrx/core"
)

// The int8 GEMM kernels (int_gemm_amd64.s, AVX-512 VNNI); see intGEMM.

//go:noescape
func repackQ40x16(rows *byte, stride, nb int, panel *byte)

//go:noescape
func repackQ80x16(rows *byte, stride, nb int, panel *byte)

//go:noescape
func gemmU8C1(panel, act *byte, nb int, y *float32, yStride, mask int, pf *byte)

//go:noescape
func gemmU8C2(panel, act *byte, nb int, y *float32, yStride, mask int, pf *byte)

//go:noescape
func gemmU8C3(panel, act *byte, nb int, y *float32, yStride, mask int, pf *byte)

//go:noescape
func gemmU8C4(panel, act *byte, nb int, y *float32, yStride, mask int, pf *byte)

//go:noescape
func gemm2U8C1(panel, act *byte, nb int, y *float32, yStride, mask int, pf *byte)

//go:noescape
func gemm2U8C2(panel, act *byte, nb int, y *float32, yStride, mask int, pf *byte)

//go:noescape
func gemm2U8C3(panel, act *byte, nb int, y *float32, yStride, mask int, pf *byte)

//go:noescape
func gemm2U8C4(panel, act *byte, nb int, y *float32, yStride, mask int, pf *byte)

//go:noescape
func quantizeQ8AVX512(x *float32, nb int, qs *int8, d *float32, sum *int32)

func init() {
	if hasAVX512 {
		quantizeQ8Kernel = func(x []float32, r *q8Row) {
			nb := len(x) / 32
			if nb == 0 {
				return
			}
			_, _, _ = r.qs[32*nb-1], r.d[nb-1], r.sum[nb-1]
			quantizeQ8AVX512(&x[0], nb, &r.qs[0], &r.d[0], &r.sum[0])
		}
	}
}

// asmRepack wraps a repacking kernel over blocks of bb bytes, checking
// the slices so the assembly never reads or writes past them.
func asmRepack(f func(rows *byte, stride, nb int, panel *byte), bb int) func(rows []byte, stride, nb int, panel []byte) {
	return func(rows []byte, stride, nb int, panel []byte) {
		if nb == 0 {
			return
		}
		_ = rows[(gemmRows-1)*stride+nb*bb-1]
		_ = panel[nb*panelBlockBytes-1]
		f(&rows[0], stride, nb, &panel[0])
	}
}

// asmGEMM wraps the micro-kernel for c inputs; y must hold the c
// outputs' first 16 values (the masked-off ones are not written).
func asmGEMM(f func(panel, act *byte, nb int, y *float32, yStride, mask int, pf *byte), c int) gemmKernel {
	return func(panel, act []byte, nb int, y []float32, yStride int, mask uint16, pf []byte) {
		if mask == 0 {
			return
		}
		if nb == 0 {
			for i := range c {
				for r := range gemmRows {
					if mask&(1<<r) != 0 {
						y[i*yStride+r] = 0
					}
				}
			}
			return
		}
		_ = panel[nb*panelBlockBytes-1]
		_ = act[40*c*nb-1]
		_ = y[(c-1)*yStride+gemmRows-1-bits.LeadingZeros16(mask)]
		p := &panel[0] // prefetching the panel again costs nothing
		if len(pf) > 0 {
			p = &pf[0]
		}
		f(&panel[0], &act[0], nb, &y[0], yStride, int(mask), p)
	}
}

// asmGEMM2 wraps the two-panel micro-kernel for c inputs; y must hold
// the c outputs' first 32 values (the masked-off ones are not written).
func asmGEMM2(f func(panel, act *byte, nb int, y *float32, yStride, mask int, pf *byte), c int) gemmKernel2 {
	return func(panel, act []byte, nb int, y []float32, yStride int, mask uint32, pf []byte) {
		if mask == 0 {
			return
		}
		if nb == 0 {
			for i := range c {
				for r := range 2 * gemmRows {
					if mask&(1<<r) != 0 {
						y[i*yStride+r] = 0
					}
				}
			}
			return
		}
		_ = panel[2*nb*panelBlockBytes-1]
		_ = act[40*c*nb-1]
		_ = y[(c-1)*yStride+2*gemmRows-1-bits.LeadingZeros32(mask)]
		p := &panel[0] // prefetching the panel again costs nothing
		if len(pf) > 0 {
			p = &pf[0]
		}
		f(&panel[0], &act[0], nb, &y[0], yStride, int(mask), p)
	}
}

// installGEMM gives the Q4_0 and Q8_0 integer kernels their GEMM (run by
// int_kernels_amd64.go's init after it installs them, on VNNI CPUs).
func installGEMM() {
	ks := [gemmMaxC]gemmKernel{asmGEMM(gemmU8C1, 1), asmGEMM(gemmU8C2, 2), asmGEMM(gemmU8C3, 3), asmGEMM(gemmU8C4, 4)}
	ks2 := [gemmMaxC]gemmKernel2{asmGEMM2(gemm2U8C1, 1), asmGEMM2(gemm2U8C2, 2), asmGEMM2(gemm2U8C3, 3), asmGEMM2(gemm2U8C4, 4)}
	intKernels[core.SchemeQ4_0].gemm = &intGEMM{repack: asmRepack(repackQ40x16, 18), kernels: ks, kernels2: ks2, offset: 8, from: 6}
	intKernels[core.SchemeQ8_0].gemm = &intGEMM{repack: asmRepack(repackQ80x16, 34), kernels: ks, kernels2: ks2, offset: 128, from: 3}
}
