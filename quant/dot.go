package quant

// The inner products of the quantized matmul. Each keeps several partial
// sums so that the float adds do not wait on each other, and converts a
// fixed-size window of x to an array pointer so the compiler checks bounds
// once per window instead of once per element.

// dot4 returns Σ q_j*x_j over 8 codes per word of 4-bit codes
// (code j at bits 4j..4j+3 of its word).
func dot4(words []uint32, x []float32) float32 {
	var a0, a1, a2, a3 float32
	x = x[:len(words)*8]
	for i, c := range words {
		xx := (*[8]float32)(x[i*8:])
		a0 += float32(c&15)*xx[0] + float32(c>>16&15)*xx[4]
		a1 += float32(c>>4&15)*xx[1] + float32(c>>20&15)*xx[5]
		a2 += float32(c>>8&15)*xx[2] + float32(c>>24&15)*xx[6]
		a3 += float32(c>>12&15)*xx[3] + float32(c>>28)*xx[7]
	}
	return (a0 + a1) + (a2 + a3)
}

// dot8 returns Σ q_j*x_j over 4 codes per word of 8-bit codes.
func dot8(words []uint32, x []float32) float32 {
	var a0, a1, a2, a3 float32
	x = x[:len(words)*4]
	i := 0
	for ; i+2 <= len(words); i += 2 {
		c, e := words[i], words[i+1]
		xx := (*[8]float32)(x[i*4:])
		a0 += float32(c&255)*xx[0] + float32(e&255)*xx[4]
		a1 += float32(c>>8&255)*xx[1] + float32(e>>8&255)*xx[5]
		a2 += float32(c>>16&255)*xx[2] + float32(e>>16&255)*xx[6]
		a3 += float32(c>>24)*xx[3] + float32(e>>24)*xx[7]
	}
	for ; i < len(words); i++ {
		c := words[i]
		xx := (*[4]float32)(x[i*4:])
		a0 += float32(c&255) * xx[0]
		a1 += float32(c>>8&255) * xx[1]
		a2 += float32(c>>16&255) * xx[2]
		a3 += float32(c>>24) * xx[3]
	}
	return (a0 + a1) + (a2 + a3)
}

// dotCodes returns Σ q_j*x_j for unpacked codes.
func dotCodes(q []uint32, x []float32) float32 {
	var a0, a1, a2, a3 float32
	x = x[:len(q)]
	i := 0
	for ; i+4 <= len(q); i += 4 {
		a0 += float32(q[i]) * x[i]
		a1 += float32(q[i+1]) * x[i+1]
		a2 += float32(q[i+2]) * x[i+2]
		a3 += float32(q[i+3]) * x[i+3]
	}
	for ; i < len(q); i++ {
		a0 += float32(q[i]) * x[i]
	}
	return (a0 + a1) + (a2 + a3)
}

// dotF32 returns Σ a_j*b_j.
func dotF32(a, b []float32) float32 {
	var a0, a1, a2, a3 float32
	b = b[:len(a)]
	i := 0
	for ; i+4 <= len(a); i += 4 {
		aa := (*[4]float32)(a[i:])
		bb := (*[4]float32)(b[i:])
		a0 += aa[0] * bb[0]
		a1 += aa[1] * bb[1]
		a2 += aa[2] * bb[2]
		a3 += aa[3] * bb[3]
	}
	for ; i < len(a); i++ {
		a0 += a[i] * b[i]
	}
	return (a0 + a1) + (a2 + a3)
}
