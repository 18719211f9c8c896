package quant

import (
	"encoding/binary"
	"math"
)

// encodeQ50 is quantize_row_q5_0_ref: d = max/-16 where max is the value
// of largest magnitude (the first one on ties), q = min(31, trunc(x/d +
// 16.5)); the low four bits go to qs as Q4_0 does, bit 4 of value j to
// bit j of qh.
func encodeQ50(blk []byte, x []float32) {
	var amax, mx float32
	for _, v := range x {
		if amax < abs32(v) {
			amax, mx = abs32(v), v
		}
	}
	d := mx / -16
	var id float32
	if d != 0 {
		id = 1 / d
	}
	putF16(blk, d)
	var qh uint32
	for j := range 16 {
		x0 := float32(x[j] * id)
		x1 := float32(x[j+16] * id)
		q0 := byte(min(31, truncInt8(x0+16.5)))
		q1 := byte(min(31, truncInt8(x1+16.5)))
		blk[6+j] = q0&15 | (q1&15)<<4
		qh |= uint32(q0>>4&1)<<j | uint32(q1>>4&1)<<(j+16)
	}
	binary.LittleEndian.PutUint32(blk[2:], qh)
}

// encodeQ51 is quantize_row_q5_1_ref: d = (max-min)/31, m = min,
// q = trunc((x-min)/d + 0.5), bits laid out as Q5_0.
func encodeQ51(blk []byte, x []float32) {
	lo, d, id := minStep(x, 31)
	putF16(blk, d)
	putF16(blk[2:], lo)
	var qh uint32
	for j := range 16 {
		x0 := float32((x[j] - lo) * id)
		x1 := float32((x[j+16] - lo) * id)
		q0 := byte(truncUint8(x0 + 0.5))
		q1 := byte(truncUint8(x1 + 0.5))
		blk[8+j] = q0&15 | (q1&15)<<4
		qh |= uint32(q0>>4&1)<<j | uint32(q1>>4&1)<<(j+16)
	}
	binary.LittleEndian.PutUint32(blk[4:], qh)
}

// truncUint8 is C's (uint8_t) cast of a float in range: toward zero.
// Out of range (undefined in C) it saturates; NaN gives 0.
func truncUint8(f float32) int {
	if f != f {
		return 0
	}
	return int(max(0, min(255, float32(math.Trunc(float64(f))))))
}
