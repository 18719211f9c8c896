package quant

// MLX's packing: one continuous LSB-first bit stream per row; code j
// occupies bits [j*bits, (j+1)*bits) of the row's little-endian words.

// unpackRow decodes n codes of the given width from a row's bit stream.
func unpackRow(dst []uint32, words []uint32, n, bits int) {
	mask := uint32(1)<<bits - 1
	for j := range n {
		pos := j * bits
		q := words[pos/32] >> (pos % 32)
		if pos%32+bits > 32 {
			q |= words[pos/32+1] << (32 - pos%32)
		}
		dst[j] = q & mask
	}
}

// packRow writes codes as one LSB-first bit stream (the inverse of
// unpackRow); words must be zeroed. Codes must be below 1<<bits.
func packRow(words, q []uint32, bits int) {
	switch bits {
	case 4:
		for i := range len(q) / 8 {
			c := (*[8]uint32)(q[8*i:])
			words[i] = c[0] | c[1]<<4 | c[2]<<8 | c[3]<<12 | c[4]<<16 | c[5]<<20 | c[6]<<24 | c[7]<<28
		}
		if len(q)%8 == 0 {
			return
		}
	case 8:
		for i := range len(q) / 4 {
			c := (*[4]uint32)(q[4*i:])
			words[i] = c[0] | c[1]<<8 | c[2]<<16 | c[3]<<24
		}
		if len(q)%4 == 0 {
			return
		}
	}
	for j, c := range q {
		pos := j * bits
		words[pos/32] |= c << (pos % 32)
		if pos%32+bits > 32 {
			words[pos/32+1] |= c >> (32 - pos%32)
		}
	}
}
