//go:build amd64 && !noasm

package quant

import "golang.org/x/sys/cpu"

// AVX2+FMA kernels for the 4- and 8-bit affine matrix-vector product.
// They compute Σ_g scale_g * Σ_j q_j*x_j for one row; the bias term
// Σ_g bias_g*Σx_g is added in Go.

//go:noescape
func rowDot4AVX2(codes *uint32, xp *float32, scales *float32, blocks, blocksPerGroup int) float32

//go:noescape
func rowDot4x4AVX2(codes *uint32, xp *float32, stride int, scales *float32, blocks, blocksPerGroup int, out *float32)

//go:noescape
func rowDot8AVX2(codes *uint32, x *float32, scales *float32, groups, chunks int) float32

var hasAVX2FMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA

func init() {
	if !hasAVX2FMA {
		return
	}
	rowDot4 = func(codes []uint32, xp, scales []float32, group int) float32 {
		// Whole 64-value blocks in assembly; with group size 32 an odd
		// number of groups leaves half a block, done in Go on the
		// unpermuted tail of xp (see permute4).
		k := len(scales) * group
		blocks := k / 64
		_ = codes[k/8-1]
		_ = xp[k-1]
		var sum float32
		if blocks > 0 {
			sum = rowDot4AVX2(&codes[0], &xp[0], &scales[0], blocks, group/64)
		}
		if t := blocks * 64; t < k {
			sum += scales[len(scales)-1] * dot4(codes[t/8:k/8], xp[t:k])
		}
		return sum
	}
	permute4 = permute4Blocks
	rowDot4x4 = func(out *[4]float32, codes []uint32, xp []float32, k, stride int, scales []float32, group int) {
		blocks := k / 64
		_ = codes[k/8-1]
		_ = xp[3*stride+k-1]
		_ = scales[k/group-1]
		if blocks > 0 {
			rowDot4x4AVX2(&codes[0], &xp[0], 4*stride, &scales[0], blocks, group/64, &out[0])
		} else {
			*out = [4]float32{}
		}
		if t := blocks * 64; t < k {
			s := scales[k/group-1]
			for r := range 4 {
				out[r] += s * dot4(codes[t/8:k/8], xp[r*stride+t:r*stride+k])
			}
		}
	}
	rowDot8 = func(codes []uint32, x, scales []float32, group int) float32 {
		_ = codes[len(scales)*group/4-1]
		_ = x[len(scales)*group-1]
		return rowDot8AVX2(&codes[0], &x[0], &scales[0], len(scales), group/8)
	}
}
