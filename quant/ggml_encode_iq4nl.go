package quant

// iq4nlValues is ggml's IQ4_NL codebook (kvalues_iq4nl), sorted.
var iq4nlValues = [16]int8{-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113}

// bestIndex is ggml's best_index_int8 over the codebook: the nearest
// entry to x, the upper one on a tie (compared in float32 as ggml does).
func bestIndex(x float32) int {
	v := &iq4nlValues
	if x <= float32(v[0]) {
		return 0
	}
	if x >= float32(v[15]) {
		return 15
	}
	lo, hi := 0, 15
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if x < float32(v[mid]) {
			hi = mid
		} else {
			lo = mid
		}
	}
	if x-float32(v[hi-1]) < float32(v[hi])-x {
		return hi - 1
	}
	return hi
}

// encodeIQ4NL is quantize_iq4_nl without an importance matrix (weights
// x²): one 32-value block, scale fitted over 15 trial scales
// (itry + values[0])/max by weighted least squares, then every value
// mapped to the nearest codebook entry at the fitted float32 scale (not
// the f16-rounded one, as ggml does); nibble order as Q4_0.
func encodeIQ4NL(blk []byte, x []float32) {
	var w [32]float32
	var amax, mx float32
	for j, v := range x {
		w[j] = float32(v * v)
		if a := abs32(v); a > amax {
			amax, mx = a, v
		}
	}
	var d float32
	if amax >= groupMaxEps {
		v0 := float32(iq4nlValues[0])
		d = -mx / v0
		id := 1 / d
		sums := func(id float32) (sumqx, sumq2 float32) {
			for j, v := range x {
				q := float32(iq4nlValues[bestIndex(float32(id*v))])
				wq := float32(w[j] * q)
				sumqx += float32(wq * v)
				sumq2 += float32(wq * q)
			}
			return sumqx, sumq2
		}
		sumqx, sumq2 := sums(id)
		d = sumqx / sumq2
		best := float32(d * sumqx)
		for itry := -7; itry <= 7; itry++ {
			sumqx, sumq2 = sums(float32(itry+int(iq4nlValues[0])) / mx)
			if sumq2 > 0 && float32(sumqx*sumqx) > float32(best*sumq2) {
				d = sumqx / sumq2
				best = float32(d * sumqx)
			}
		}
	}
	putF16(blk, d)
	var id float32
	if d != 0 {
		id = 1 / d
	}
	for j := range 16 {
		blk[2+j] = byte(bestIndex(float32(id*x[j]))) | byte(bestIndex(float32(id*x[j+16])))<<4
	}
}
