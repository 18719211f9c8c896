//go:build amd64 && !noasm

package quant

import "golang.org/x/sys/cpu"

// AVX2+FMA kernels for the 4- and 8-bit affine matrix-vector product.
// They compute Σ_g scale_g * Σ_j q_j*x_j for one row; the bias term
// Σ_g bias_g*Σx_g is added in Go.

//go:noescape
func rowDot4AVX2(codes *uint32, xp *float32, scales *float32, groups, chunks int) float32

//go:noescape
func rowDot8AVX2(codes *uint32, x *float32, scales *float32, groups, chunks int) float32

var hasAVX2FMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA

func init() {
	if !hasAVX2FMA {
		return
	}
	rowDot4 = func(codes []uint32, xp, scales []float32, group int) float32 {
		// A chunk is 8 bytes: 16 codes. xp is x with each 16-value chunk
		// split into its even then its odd values (see permute4).
		_ = codes[len(scales)*group/8-1]
		_ = xp[len(scales)*group-1]
		return rowDot4AVX2(&codes[0], &xp[0], &scales[0], len(scales), group/16)
	}
	rowDot8 = func(codes []uint32, x, scales []float32, group int) float32 {
		_ = codes[len(scales)*group/4-1]
		_ = x[len(scales)*group-1]
		return rowDot8AVX2(&codes[0], &x[0], &scales[0], len(scales), group/8)
	}
}
