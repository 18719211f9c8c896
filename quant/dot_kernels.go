package quant

// rowDot4 and rowDot8 are set by an assembly file where the CPU has the
// instructions for them (dot_amd64.go); nil means the portable Go loops
// run. Each returns Σ_g scales[g] * Σ_{j in g} q_j*x_j for one row of
// len(scales) groups of group codes. rowDot4 takes x permuted by
// permute4.
var rowDot4, rowDot8 func(codes []uint32, x, scales []float32, group int) float32

// rowDot4x4 is rowDot4 over k values for four permuted input rows that
// start stride values apart at x[0], sharing each block's decoding.
var rowDot4x4 func(out *[4]float32, codes []uint32, x []float32, k, stride int, scales []float32, group int)

// permute4 reorders x for rowDot4 (identity where there is no kernel).
var permute4 = func(dst, x []float32) { copy(dst, x) }

// permute4Blocks transposes every whole block of 64 values of x from
// [8 words][8 nibbles] to [8 nibbles][8 words] and scales nibble k's
// values by 16^-k (k < 7), for the assembly kernel's in-place masking. A
// trailing partial block is copied as is.
func permute4Blocks(dst, x []float32) {
	n := len(x) / 64 * 64
	for b := 0; b < n; b += 64 {
		s := (*[64]float32)(x[b:])
		d := (*[64]float32)(dst[b:])
		scale := float32(1)
		for k := range 8 {
			if k == 7 {
				scale = 1 // nibble 7 is shifted down, not masked in place
			}
			for i := range 8 {
				d[8*k+i] = s[8*i+k] * scale
			}
			scale /= 16
		}
	}
	copy(dst[n:len(x)], x[n:])
}

// permute4x128 reorders x for rows4Dot4: every whole chunk of 128 values
// goes from [16 words][8 nibbles] to [8 nibbles][16 words], nibble k's
// values scaled by 16^-k for 0 < k < 7 (exact: a power of two), for the
// kernel's in-place masking (plane 0 is looked up, plane 7 shifted down).
// A trailing partial chunk is copied as is.
func permute4x128(dst, x []float32) {
	n := len(x) / 128 * 128
	for c := 0; c < n; c += 128 {
		s := (*[128]float32)(x[c:])
		d := (*[128]float32)(dst[c:])
		scale := float32(1)
		for k := range 8 {
			if k == 7 {
				scale = 1 // nibble 7 is shifted down, not masked in place
			}
			for i := range 16 {
				d[16*k+i] = s[8*i+k] * scale
			}
			scale /= 16
		}
	}
	copy(dst[n:len(x)], x[n:])
}

// permute8x64 reorders x for rows4Dot8: every whole chunk of 64 values
// goes from [16 words][4 bytes] to [4 bytes][16 words], byte k's values
// scaled by 256^-k for k < 3 (exact: a power of two), for the kernel's
// in-place masking (byte 3 is shifted down). A trailing partial chunk is
// copied as is.
func permute8x64(dst, x []float32) {
	n := len(x) / 64 * 64
	for c := 0; c < n; c += 64 {
		s := (*[64]float32)(x[c:])
		d := (*[64]float32)(dst[c:])
		scale := float32(1)
		for k := range 4 {
			if k == 3 {
				scale = 1
			}
			for i := range 16 {
				d[16*k+i] = s[4*i+k] * scale
			}
			scale /= 256
		}
	}
	copy(dst[n:len(x)], x[n:])
}

// rows4Dot4 and rows4Dot8 compute the whole product y[n] for four weight
// rows at once, Σ_g scale_g*Σ_{j in g} q_j*x_j + bias_g*xs[g] (row r < 4
// at codes[r*cstride:], scales[r*sstride:], biases[r*sstride:], gpr =
// len(xs) groups), sharing each read of x; nil where the CPU has no kernel
// for them (dot512_amd64.go). The rows need not be adjacent: matMulKernel
// passes rows a quarter of its range apart so that the four code streams
// each run on through memory instead of restarting every four rows. xs
// holds the group sums of x. rows4Dot4 takes x permuted by permute4x128,
// rows4Dot8 by permute8x64.
var rows4Dot4, rows4Dot8 func(out *[4]float32, codes []uint32, cstride int, x, scales, biases []float32, sstride int, xs []float32, group int)
