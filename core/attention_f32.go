package core

import "math"

// The float32 body of the CPU attention kernel (attentionKernel with
// float32 as the compute type: F32, F16 and BF16 operands). Scores and
// the weighted sum of values are float32 products summed in four
// independent accumulators (the float64 body converts every element
// and waits on one chain of adds); the softmax's max, exponentials and
// sum stay in float64, being one per key, not per element.

// dotF32 returns Σ a[i]*b[i] over len(a) elements.
func dotF32(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// axpyF32 sets y[i] += a*x[i] over len(y) elements.
func axpyF32(y []float32, a float32, x []float32) {
	x = x[:len(y)]
	i := 0
	for ; i+4 <= len(y); i += 4 {
		y[i] += a * x[i]
		y[i+1] += a * x[i+1]
		y[i+2] += a * x[i+2]
		y[i+3] += a * x[i+3]
	}
	for ; i < len(y); i++ {
		y[i] += a * x[i]
	}
}

// attendF32 writes into o [d] the attention of query qv [d] over the
// keys and values first..last of kb and vb (row j of the group at
// (j*hkv+g)*d), with w [tk] as the scores' scratch.
func attendF32(o, qv, kb, vb []float32, w []float64, first, last, hkv, g int, ap AttentionParams) {
	d := len(qv)
	scale := float32(ap.Scale)
	mx := math.Inf(-1)
	for j := first; j <= last; j++ {
		s := float64(dotF32(qv, kb[(j*hkv+g)*d:]) * scale)
		if ap.SoftCap > 0 {
			s = ap.SoftCap * math.Tanh(s/ap.SoftCap)
		}
		w[j] = s
		mx = math.Max(mx, s)
	}
	var sum float64
	for j := first; j <= last; j++ {
		w[j] = math.Exp(w[j] - mx)
		sum += w[j]
	}
	clear(o)
	for j := first; j <= last; j++ {
		axpyF32(o, float32(w[j]/sum), vb[(j*hkv+g)*d:])
	}
}
