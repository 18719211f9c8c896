package quant

import "math"

// The K-quant encoders: quantize_row_q{2,3,4,5,6}_K_ref of ggml-quants.c
// (what llama-quantize runs without an importance matrix), written from
// the algorithm: fit each sub-block's scale (and min), quantize those
// scales to 4, 6 or 8 bits against one f16 super-scale, then requantize
// every value with the scale as stored. Where a stored sub-scale is zero
// ggml keeps the codes of the first fit, and so do these.

// kQuantize is the common tail: codes of value v in sub-block j of
// length sub are nearestInt((v + dm_j)/d_j) clamped to [lo, hi] (d_j, dm_j
// from scale(j)), offset by off; sub-blocks with d_j == 0 keep codes.
func kQuantize(x []float32, codes []int8, sub, lo, hi, off int, scale func(j int) (d, dm float32)) {
	for j := range len(x) / sub {
		d, dm := scale(j)
		if d == 0 {
			continue
		}
		for i := j * sub; i < (j+1)*sub; i++ {
			codes[i] = int8(clampInt(nearestInt(float32(x[i]+dm)/d), lo, hi) + off)
		}
	}
}

// packQ2 packs 2-bit codes as Q2_K and Q3_K store them: byte l of each
// 32-byte group holds codes l, l+32, l+64, l+96 of its 128 values.
func packQ2(qs []byte, codes []int8) {
	for j := 0; j < 256; j += 128 {
		for l := range 32 {
			qs[j/4+l] = byte(codes[j+l]) | byte(codes[j+l+32])<<2 | byte(codes[j+l+64])<<4 | byte(codes[j+l+96])<<6
		}
	}
}

// encodeQ2K: {scales[16] (4-bit scale | 4-bit min << 4); qs[64]; f16 d;
// f16 dmin}; sub-blocks of 16 fitted with |x| weights and absolute error.
func encodeQ2K(blk []byte, x []float32) {
	var codes [256]int8
	var Lu, aux [16]uint8
	var w [16]float32
	var scales, mins [16]float32
	var maxScale, maxMin float32
	for j := range 16 {
		xs := x[16*j : 16*j+16]
		for l, v := range xs {
			w[l] = abs32(v)
		}
		scales[j], mins[j] = fitMinScale(3, xs, w[:], Lu[:], aux[:], -0.5, 0.1, 15, true)
		for l := range 16 {
			codes[16*j+l] = int8(Lu[l])
		}
		maxScale = max32(maxScale, scales[j])
		maxMin = max32(maxMin, mins[j])
	}
	sc := blk[0:16]
	if maxScale > 0 {
		iscale := 15 / maxScale
		for j := range 16 {
			sc[j] = byte(nearestInt(float32(iscale * scales[j])))
		}
		putF16(blk[80:], maxScale/15)
	} else {
		clear(sc)
		putF16(blk[80:], 0)
	}
	if maxMin > 0 {
		iscale := 15 / maxMin
		for j := range 16 {
			sc[j] |= byte(nearestInt(float32(iscale*mins[j])) << 4)
		}
		putF16(blk[82:], maxMin/15)
	} else {
		putF16(blk[82:], 0)
	}
	d, dmin := f16At(blk[80:]), f16At(blk[82:])
	kQuantize(x, codes[:], 16, 0, 3, 0, func(j int) (float32, float32) {
		return float32(d * float32(sc[j]&15)), float32(dmin * float32(sc[j]>>4))
	})
	packQ2(blk[16:80], codes[:])
}

// max32 is ggml's "if (v > m) m = v".
func max32(m, v float32) float32 {
	if v > m {
		return v
	}
	return m
}

// encodeQ3K: {hmask[32]; qs[64]; scales[12] (16 6-bit signed scales,
// offset 32); f16 d}; codes 0..7 with the high bit of value j in bit j/32
// of hmask[j%32].
func encodeQ3K(blk []byte, x []float32) {
	var codes [256]int8
	var scales [16]float32
	var maxScale, amax float32
	for j := range 16 {
		scales[j] = fitQ3Scale(4, x[16*j:16*j+16], codes[16*j:16*j+16])
		if a := abs32(scales[j]); a > amax {
			amax, maxScale = a, scales[j]
		}
	}
	sc := blk[96:108]
	clear(sc)
	if maxScale != 0 {
		iscale := -32 / maxScale
		for j := range 16 {
			l := int8(nearestInt(float32(iscale * scales[j])))
			l = max(-32, min(31, l)) + 32
			if j < 8 {
				sc[j] = byte(l) & 15
			} else {
				sc[j-8] |= (byte(l) & 15) << 4
			}
			sc[j%4+8] |= byte(l>>4) << (2 * (j / 4))
		}
		putF16(blk[108:], 1/iscale)
	} else {
		putF16(blk[108:], 0)
	}
	d := f16At(blk[108:])
	kQuantize(x, codes[:], 16, -4, 3, 4, func(j int) (float32, float32) {
		var s byte
		if j < 8 {
			s = sc[j] & 15
		} else {
			s = sc[j-8] >> 4
		}
		s |= (sc[8+j%4] >> (2 * (j / 4)) & 3) << 4
		return float32(d * float32(int8(s)-32)), 0
	})
	hm := blk[0:32]
	clear(hm)
	for j := range 256 {
		if codes[j] > 3 {
			hm[j%32] |= 1 << (j / 32)
			codes[j] -= 4
		}
	}
	packQ2(blk[32:96], codes[:])
}

// fitK4 fits the eight 32-value sub-blocks of a Q4_K or Q5_K super-block
// (weights sqrt(mean x²) + |x|, squared error), stores their 6-bit scales
// and mins packed into sc[12] and d, dmin at blk[0:4], and requantizes
// into codes.
func fitK4(blk []byte, sc []byte, x []float32, codes *[256]int8, nmax int, rmin float32, nstep int) {
	var Lu, aux [32]uint8
	var w [32]float32
	var scales, mins [8]float32
	var maxScale, maxMin float32
	for j := range 8 {
		xs := x[32*j : 32*j+32]
		var sumX2 float32
		for _, v := range xs {
			sumX2 += float32(v * v)
		}
		av := sqrt32(sumX2 / 32)
		for l, v := range xs {
			w[l] = av + abs32(v)
		}
		scales[j], mins[j] = fitMinScale(nmax, xs, w[:], Lu[:], aux[:], rmin, 0.1, nstep, false)
		for l := range 32 {
			codes[32*j+l] = int8(Lu[l])
		}
		maxScale = max32(maxScale, scales[j])
		maxMin = max32(maxMin, mins[j])
	}
	var invScale, invMin float32
	if maxScale > 0 {
		invScale = 63 / maxScale
	}
	if maxMin > 0 {
		invMin = 63 / maxMin
	}
	for j := range 8 {
		ls := min(63, byte(nearestInt(float32(invScale*scales[j]))))
		lm := min(63, byte(nearestInt(float32(invMin*mins[j]))))
		if j < 4 {
			sc[j] = ls
			sc[j+4] = lm
		} else {
			sc[j+4] = ls&15 | (lm&15)<<4
			sc[j-4] |= (ls >> 4) << 6
			sc[j] |= (lm >> 4) << 6
		}
	}
	putF16(blk, maxScale/63)
	putF16(blk[2:], maxMin/63)
	d, dmin := f16At(blk), f16At(blk[2:])
	kQuantize(x, codes[:], 32, 0, nmax, 0, func(j int) (float32, float32) {
		s, m := scaleMin(j, sc)
		return float32(d * float32(s)), float32(dmin * float32(m))
	})
}

// encodeQ4K: {f16 d; f16 dmin; scales[12]; qs[128]}: byte l of each
// 32-byte group holds value l (low nibble) and l+32 (high) of its 64.
func encodeQ4K(blk []byte, x []float32) {
	var codes [256]int8
	fitK4(blk, blk[4:16], x, &codes, 15, -1, 20)
	q := blk[16:144]
	for j := 0; j < 256; j += 64 {
		for l := range 32 {
			q[j/2+l] = byte(codes[j+l]) | byte(codes[j+l+32])<<4
		}
	}
}

// encodeQ5K: {f16 d; f16 dmin; scales[12]; qh[32]; qs[128]}: nibbles as
// Q4_K, bit 4 of value 64i+l in bit 2i of qh[l], of 64i+32+l in bit 2i+1.
func encodeQ5K(blk []byte, x []float32) {
	var codes [256]int8
	fitK4(blk, blk[4:16], x, &codes, 31, -0.5, 15)
	qh, ql := blk[16:48], blk[48:176]
	clear(qh)
	for n := 0; n < 256; n += 64 {
		m1, m2 := byte(1)<<(n/32), byte(2)<<(n/32)
		for j := range 32 {
			l1, l2 := byte(codes[n+j]), byte(codes[n+j+32])
			if l1 > 15 {
				l1 -= 16
				qh[j] |= m1
			}
			if l2 > 15 {
				l2 -= 16
				qh[j] |= m2
			}
			ql[n/2+j] = l1 | l2<<4
		}
	}
}

// encodeQ6K: {ql[128]; qh[64]; int8 scales[16]; f16 d}: 16 sub-blocks of
// 16 with 8-bit signed scales, 6-bit codes offset by 32.
func encodeQ6K(blk []byte, x []float32) {
	var codes [256]int8
	var scales [16]float32
	var maxScale, maxAbs float32
	for ib := range 16 {
		scales[ib] = fitSymScale(32, x[16*ib:16*ib+16], codes[16*ib:16*ib+16])
		if a := abs32(scales[ib]); a > maxAbs {
			maxAbs, maxScale = a, scales[ib]
		}
	}
	if maxAbs < groupMaxEps {
		clear(blk[:210])
		return
	}
	iscale := -128 / maxScale
	putF16(blk[208:], 1/iscale)
	sc := blk[192:208]
	for ib := range 16 {
		sc[ib] = byte(int8(min(127, nearestInt(float32(iscale*scales[ib])))))
	}
	d := f16At(blk[208:])
	kQuantize(x, codes[:], 16, -32, 31, 32, func(j int) (float32, float32) {
		return float32(d * float32(int8(sc[j]))), 0
	})
	ql, qh := blk[0:128], blk[128:192]
	for j := 0; j < 256; j += 128 {
		for l := range 32 {
			q1, q2, q3, q4 := byte(codes[j+l]), byte(codes[j+l+32]), byte(codes[j+l+64]), byte(codes[j+l+96])
			ql[j/2+l] = q1&15 | (q3&15)<<4
			ql[j/2+l+32] = q2&15 | (q4&15)<<4
			qh[j/4+l] = q1>>4 | (q2>>4)<<2 | (q3>>4)<<4 | (q4>>4)<<6
		}
	}
}

func sqrt32(f float32) float32 { return float32(math.Sqrt(float64(f))) }
