package quant

import "math"

// The scale-fitting searches of ggml's K-quant reference quantizers
// (make_qkx2_quants, make_qx_quants with rmse_type 1, make_q3_quants with
// do_rmse), written from their description in ggml-quants.c. Every
// product is rounded to float32 on its own (explicit conversions) and
// every sum runs in ggml's order, so that the codes and scales come out
// bit for bit as ggml's, which the K-quant block fixtures check.

// groupMaxEps is GROUP_MAX_EPS: a group whose largest magnitude is below
// it is all zeros.
const groupMaxEps = 1e-15

// nearestInt is ggml's nearest_int: round half to even by adding 1.5*2^23
// and reading the mantissa (valid for |f| <= 2^22).
func nearestInt(f float32) int {
	v := f + 12582912
	return int(math.Float32bits(v)&0x007fffff) - 0x00400000
}

func clampInt(l, lo, hi int) int { return max(lo, min(hi, l)) }

// fitMinScale is make_qkx2_quants: codes in [0, nmax] for
// x ≈ scale*codes - theMin, starting from the min/max fit and trying nstep+1
// widened scales (rmin + rdelta*is + nmax)/(max - min), each refined by a
// weighted least-squares solve for scale and min; the lowest weighted
// error (absolute if useMad, else squared) wins.
func fitMinScale(nmax int, x, weights []float32, codes, aux []uint8, rmin, rdelta float32, nstep int, useMad bool) (scale, theMin float32) {
	n := len(x)
	mn, mx := x[0], x[0]
	sumW := weights[0]
	sumX := float32(sumW * x[0])
	for i := 1; i < n; i++ {
		if x[i] < mn {
			mn = x[i]
		}
		if x[i] > mx {
			mx = x[i]
		}
		w := weights[i]
		sumW += w
		sumX += float32(w * x[i])
	}
	if mn > 0 {
		mn = 0
	}
	if mx == mn {
		clear(codes[:n])
		return 0, -mn
	}
	errOf := func(d float32) float32 {
		if useMad {
			return abs32(d)
		}
		return float32(d * d)
	}
	iscale := float32(nmax) / (mx - mn)
	scale = 1 / iscale
	var best float32
	for i := range n {
		l := clampInt(nearestInt(float32(iscale*(x[i]-mn))), 0, nmax)
		codes[i] = uint8(l)
		diff := float32(scale*float32(l)) + mn - x[i]
		best += float32(weights[i] * errOf(diff))
	}
	if nstep < 1 {
		return scale, -mn
	}
	for is := 0; is <= nstep; is++ {
		iscale = (rmin + float32(rdelta*float32(is)) + float32(nmax)) / (mx - mn)
		var sumL, sumL2, sumXL float32
		for i := range n {
			l := clampInt(nearestInt(float32(iscale*(x[i]-mn))), 0, nmax)
			aux[i] = uint8(l)
			wl := float32(weights[i] * float32(l))
			sumL += wl
			sumL2 += float32(wl * float32(l))
			sumXL += float32(wl * x[i])
		}
		det := float32(sumW*sumL2) - float32(sumL*sumL)
		if det > 0 {
			thisScale := (float32(sumW*sumXL) - float32(sumX*sumL)) / det
			thisMin := (float32(sumL2*sumX) - float32(sumL*sumXL)) / det
			if thisMin > 0 {
				thisMin = 0
				thisScale = sumXL / sumL2
			}
			var cur float32
			for i := range n {
				diff := float32(thisScale*float32(aux[i])) + thisMin - x[i]
				cur += float32(weights[i] * errOf(diff))
			}
			if cur < best {
				copy(codes[:n], aux[:n])
				best = cur
				scale = thisScale
				mn = thisMin
			}
		}
	}
	return scale, -mn
}

// fitSymScale is make_qx_quants with rmse_type 1 and no importance
// weights (weights x²): codes l + nmax, l in [-nmax, nmax-1], for
// x ≈ scale*l, trying 19 scales around -nmax/max and keeping the one
// with the best weighted least-squares fit.
func fitSymScale(nmax int, x []float32, codes []int8) float32 {
	n := len(x)
	var mx, amax float32
	for _, v := range x {
		if a := abs32(v); a > amax {
			amax, mx = a, v
		}
	}
	if amax < groupMaxEps {
		clear(codes[:n])
		return 0
	}
	sums := func(iscale float32, store bool) (sumlx, suml2 float32) {
		for i, v := range x {
			l := clampInt(nearestInt(float32(iscale*v)), -nmax, nmax-1)
			if store {
				codes[i] = int8(l + nmax)
			}
			w := float32(v * v)
			sumlx += float32(float32(w*v) * float32(l))
			suml2 += float32(float32(w*float32(l)) * float32(l))
		}
		return sumlx, suml2
	}
	iscale := float32(-nmax) / mx
	sumlx, suml2 := sums(iscale, true)
	var scale float32
	if suml2 != 0 {
		scale = sumlx / suml2
	}
	best := float32(scale * sumlx)
	for is := -9; is <= 9; is++ {
		if is == 0 {
			continue
		}
		iscale = -(float32(nmax) + float32(0.1*float32(is))) / mx
		sumlx, suml2 = sums(iscale, false)
		if suml2 > 0 && float32(sumlx*sumlx) > float32(best*suml2) {
			sums(iscale, true)
			scale = sumlx / suml2
			best = float32(scale * sumlx)
		}
	}
	return scale
}

// fitQ3Scale is make_q3_quants with do_rmse: codes l in [-nmax, nmax-1]
// from -nmax/max, then up to five passes that move single codes where
// that improves the x²-weighted least-squares fit; codes gets l + nmax.
func fitQ3Scale(nmax int, x []float32, codes []int8) float32 {
	n := len(x)
	var mx, amax float32
	for _, v := range x {
		if a := abs32(v); a > amax {
			amax, mx = a, v
		}
	}
	if amax < groupMaxEps {
		clear(codes[:n])
		return 0
	}
	iscale := float32(-nmax) / mx
	var sumlx, suml2 float32
	for i, v := range x {
		l := clampInt(nearestInt(float32(iscale*v)), -nmax, nmax-1)
		codes[i] = int8(l)
		w := float32(v * v)
		sumlx += float32(float32(w*v) * float32(l))
		suml2 += float32(float32(w*float32(l)) * float32(l))
	}
	for range 5 {
		changed := 0
		for i, v := range x {
			w := float32(v * v)
			li := float32(codes[i])
			slx := sumlx - float32(float32(w*v)*li)
			if slx > 0 {
				sl2 := suml2 - float32(float32(w*li)*li)
				nl := clampInt(nearestInt(float32(v*sl2)/slx), -nmax, nmax-1)
				if nl != int(codes[i]) {
					fl := float32(nl)
					slx += float32(float32(w*v) * fl)
					sl2 += float32(float32(w*fl) * fl)
					if sl2 > 0 && float32(float32(slx*slx)*suml2) > float32(float32(sumlx*sumlx)*sl2) {
						codes[i] = int8(nl)
						sumlx, suml2 = slx, sl2
						changed++
					}
				}
			}
		}
		if changed == 0 {
			break
		}
	}
	for i := range n {
		codes[i] += int8(nmax)
	}
	if suml2 > 0 {
		return sumlx / suml2
	}
	return 0
}
