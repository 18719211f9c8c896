package quant

// rowDot4 and rowDot8 are set by an assembly file where the CPU has the
// instructions for them (dot_amd64.go); nil means the portable Go loops
// run. Each returns Σ_g scales[g] * Σ_{j in g} q_j*x_j for one row of
// len(scales) groups of group codes. rowDot4 takes x permuted by
// permute4.
var rowDot4, rowDot8 func(codes []uint32, x, scales []float32, group int) float32

// permute4 reorders x for rowDot4: within every 16 values, the 8 at even
// positions (the low nibbles of 8 code bytes) come first, then the 8 at
// odd positions (the high nibbles).
func permute4(dst, x []float32) {
	for c := 0; c+16 <= len(x); c += 16 {
		s := (*[16]float32)(x[c:])
		d := (*[16]float32)(dst[c:])
		for i := range 8 {
			d[i] = s[2*i]
			d[8+i] = s[2*i+1]
		}
	}
}
