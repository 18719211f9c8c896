package quant

// scaleMin unpacks the j-th (0..7) 6-bit scale and min of a Q4_K or Q5_K
// super-block from its 12 packed bytes: j < 4 in the low six bits of
// bytes j and j+4, j >= 4 in the nibbles of byte j+4 with the top two
// bits in bytes j-4 and j.
func scaleMin(j int, q []byte) (sc, m byte) {
	if j < 4 {
		return q[j] & 63, q[j+4] & 63
	}
	return q[j+4]&0xf | (q[j-4]>>6)<<4, q[j+4]>>4 | (q[j]>>6)<<4
}
