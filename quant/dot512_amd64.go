//go:build amd64 && !noasm

package quant

import (
	"math/bits"

	"golang.org/x/sys/cpu"
)

// AVX-512 kernels for the 4- and 8-bit affine matrix-vector product, four
// weight rows per call so that each load of x serves four rows and the
// rows' sums form independent dependency chains. Each returns, per row,
// Σ_g scale_g * Σ_j q_j*x_j + bias_g * Σ_j x_j (see rows4Dot4).

//go:noescape
func rows4Dot4AVX512(codes *uint32, cstride int, xp *float32, scales, biases *float32, sstride int, xs *float32, chunks, groups, gshift int, out *float32)

//go:noescape
func rows4Dot8AVX512(codes *uint32, cstride int, xp *float32, scales, biases *float32, sstride int, xs *float32, groups, chunks int, out *float32)

// hasAVX512 needs F (zmm, masks) and DQ (VEXTRACTF32X8 in the sums).
var hasAVX512 = cpu.X86.HasAVX512F && cpu.X86.HasAVX512DQ

func init() {
	if !hasAVX512 || !hasAVX2FMA {
		return
	}
	rows4Dot4 = func(out *[4]float32, codes []uint32, cs int, xp, scales, biases []float32, ss int, xs []float32, group int) {
		gpr := len(xs)
		k := gpr * group
		chunks := k / 128
		if gpr == 0 {
			*out = [4]float32{}
			return
		}
		_ = codes[3*cs+k/8-1]
		_ = xp[k-1]
		_ = scales[3*ss+gpr-1]
		_ = biases[3*ss+gpr-1]
		gshift := bits.TrailingZeros(uint(group / 8)) // 8 values per lane
		rows4Dot4AVX512(&codes[0], 4*cs, &xp[0], &scales[0], &biases[0], 4*ss, &xs[0], chunks, gpr, gshift, &out[0])
		// K short of a whole chunk of 128 leaves up to three groups,
		// done in Go on the unpermuted tail of xp (see permute4x128).
		for g := chunks * 128 / group; g < gpr; g++ {
			for r := range 4 {
				c := codes[r*cs+g*group/8 : r*cs+(g+1)*group/8]
				out[r] += scales[r*ss+g] * dot4(c, xp[g*group:(g+1)*group])
			}
		}
	}
	rows4Dot8 = func(out *[4]float32, codes []uint32, cs int, xp, scales, biases []float32, ss int, xs []float32, group int) {
		gpr := len(xs)
		k := gpr * group
		if gpr == 0 {
			*out = [4]float32{}
			return
		}
		_ = codes[3*cs+k/4-1]
		_ = xp[k-1]
		_ = scales[3*ss+gpr-1]
		_ = biases[3*ss+gpr-1]
		rows4Dot8AVX512(&codes[0], 4*cs, &xp[0], &scales[0], &biases[0], 4*ss, &xs[0], gpr, group/64, &out[0])
		// Group size 32 with an odd number of groups leaves half a
		// chunk, done in Go on the unpermuted tail of xp (permute8x64).
		if t := k / 64 * 64; t < k {
			g := gpr - 1
			for r := range 4 {
				out[r] += scales[r*ss+g] * dot8(codes[r*cs+t/4:r*cs+k/4], xp[t:k])
			}
		}
	}
}
