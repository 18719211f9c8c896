package quant

import "encoding/binary"

// Portable row kernels of the 32-value schemes besides Q8_0/Q4_0 and of
// Q2_K/Q3_K (see rowKernel).

// dotQ41: per block d*Σq*x + m*Σx.
func dotQ41(row []byte, x, xs []float32) float32 {
	var acc, bias float32
	for b := range len(row) / 20 {
		blk := row[20*b:]
		acc += f16Bits(blk) * nibbleDot((*[16]byte)(blk[4:]), (*[32]float32)(x[32*b:]))
		bias += f16Bits(blk[2:]) * xs[b]
	}
	return acc + bias
}

// q5Dot returns Σ code*x for a Q5 block: code j is the nibble of qs (low
// nibbles values 0-15, high 16-31) with bit j of qh as its fifth bit.
func q5Dot(qh uint32, qs *[16]byte, x *[32]float32) float32 {
	var a0, a1, a2, a3 float32
	for j := 0; j < 16; j += 2 {
		c, e := qs[j], qs[j+1]
		a0 += float32(uint32(c&15)|(qh>>j&1)<<4) * x[j]
		a1 += float32(uint32(c>>4)|(qh>>(j+16)&1)<<4) * x[j+16]
		a2 += float32(uint32(e&15)|(qh>>(j+1)&1)<<4) * x[j+1]
		a3 += float32(uint32(e>>4)|(qh>>(j+17)&1)<<4) * x[j+17]
	}
	return (a0 + a1) + (a2 + a3)
}

// dotQ50: per block d*(Σcode*x - 16*Σx).
func dotQ50(row []byte, x, xs []float32) float32 {
	var acc float32
	for b := range len(row) / 22 {
		blk := row[22*b:]
		s := q5Dot(binary.LittleEndian.Uint32(blk[2:]), (*[16]byte)(blk[6:]), (*[32]float32)(x[32*b:]))
		acc += f16Bits(blk) * (s - 16*xs[b])
	}
	return acc
}

// dotQ51: per block d*Σcode*x + m*Σx.
func dotQ51(row []byte, x, xs []float32) float32 {
	var acc, bias float32
	for b := range len(row) / 24 {
		blk := row[24*b:]
		acc += f16Bits(blk) * q5Dot(binary.LittleEndian.Uint32(blk[4:]), (*[16]byte)(blk[8:]), (*[32]float32)(x[32*b:]))
		bias += f16Bits(blk[2:]) * xs[b]
	}
	return acc + bias
}

// dotIQ4NL: per block d*Σ kvalues[nibble]*x.
func dotIQ4NL(row []byte, x, _ []float32) float32 {
	var acc float32
	for b := range len(row) / 18 {
		qs := (*[16]byte)(row[18*b+2:])
		xb := (*[32]float32)(x[32*b:])
		var a0, a1 float32
		for j := range 16 {
			a0 += float32(iq4nlValues[qs[j]&15]) * xb[j]
			a1 += float32(iq4nlValues[qs[j]>>4]) * xb[j+16]
		}
		acc += f16Bits(row[18*b:]) * (a0 + a1)
	}
	return acc
}

// dotQ2K: per 16-value sub-block j, d*(sc_j&15)*Σq*x - dmin*(sc_j>>4)*Σx;
// value 128n + 32k + 16h + l has code (qs[32n+16h+l] >> 2k) & 3 and
// sub-block 8n + 2k + h.
func dotQ2K(row []byte, x, xs []float32) float32 {
	var acc, bias float32
	for b := range len(row) / 84 {
		blk := row[84*b:]
		d, dmin := f16Bits(blk[80:]), f16Bits(blk[82:])
		for n := range 2 {
			qs := blk[16+32*n:]
			for k := range 4 {
				for h := range 2 {
					j := 8*n + 2*k + h
					xj := x[256*b+16*j:]
					var s0, s1 float32
					for l := 0; l < 16; l += 2 {
						s0 += float32(qs[16*h+l]>>(2*k)&3) * xj[l]
						s1 += float32(qs[16*h+l+1]>>(2*k)&3) * xj[l+1]
					}
					sc := blk[j]
					acc += d * float32(sc&15) * (s0 + s1)
					bias += dmin * float32(sc>>4) * xs[16*b+j]
				}
			}
		}
	}
	return acc - bias
}

// q3Scales unpacks the sixteen 6-bit Q3_K scales (minus 32).
func q3Scales(sc []byte) [16]int {
	var out [16]int
	for j := range 16 {
		var s byte
		if j < 8 {
			s = sc[j] & 15
		} else {
			s = sc[j-8] >> 4
		}
		s |= (sc[8+j%4] >> (2 * (j / 4)) & 3) << 4
		out[j] = int(s) - 32
	}
	return out
}

// dotQ3K: per 16-value sub-block j, d*sc_j*(Σu*x - 4*Σx) with u the
// unsigned 3-bit code: two bits from qs as Q2_K, the third from hmask
// (value 128n + 32k + 16h + l: bit 4n+k of hmask[16h+l]).
func dotQ3K(row []byte, x, xs []float32) float32 {
	var acc float32
	for b := range len(row) / 110 {
		blk := row[110*b:]
		hm := blk[0:32]
		d := f16Bits(blk[108:])
		scales := q3Scales(blk[96:108])
		for n := range 2 {
			qs := blk[32+32*n:]
			for k := range 4 {
				sh := uint(2 * k)
				hb := uint(4*n + k)
				for h := range 2 {
					j := 8*n + 2*k + h
					xj := x[256*b+16*j:]
					var s0, s1 float32
					for l := 0; l < 16; l += 2 {
						u0 := qs[16*h+l]>>sh&3 | (hm[16*h+l]>>hb&1)<<2
						u1 := qs[16*h+l+1]>>sh&3 | (hm[16*h+l+1]>>hb&1)<<2
						s0 += float32(u0) * xj[l]
						s1 += float32(u1) * xj[l+1]
					}
					acc += d * float32(scales[j]) * (s0 + s1 - 4*xs[16*b+j])
				}
			}
		}
	}
	return acc
}
