//go:build amd64 && !noasm

package quant

import "golang.org/x/sys/cpu"

// AVX kernels for Quantize. They follow MLX's scalar C++ exactly: VMAXPS
// and VMINPS return their second operand on NaN or equality, which is
// std::max(acc, v) / std::min(acc, v) when the accumulator is that
// operand; VDIVPS and VROUNDPS (nearest even) are the IEEE operations of
// the scalar code; the clamp's VMAXPS against 0 maps NaN to 0 as
// affineCode does.

//go:noescape
func minMaxAVX(w *float32, n int) (wMin, wMax float32)

//go:noescape
func codesAVX(dst *uint32, w *float32, n int, scale, bias, nBins float32)

func init() {
	if !cpu.X86.HasAVX {
		return
	}
	minMaxFast = func(w []float32) (float32, float32) {
		n := len(w) &^ 7
		lo, hi := inf32(1), inf32(-1)
		if n > 0 {
			lo, hi = minMaxAVX(&w[0], n)
		}
		for _, v := range w[n:] {
			hi = cMax(hi, v)
			lo = cMin(lo, v)
		}
		return lo, hi
	}
	codesFast = func(dst []uint32, w []float32, scale, bias, nBins float32) {
		n := len(w) &^ 7
		if n > 0 {
			_ = dst[n-1]
			codesAVX(&dst[0], &w[0], n, scale, bias, nBins)
		}
		for i := n; i < len(w); i++ {
			dst[i] = affineCode(w[i], scale, bias, nBins)
		}
	}
}
