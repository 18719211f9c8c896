package core

import (
	"math"

	"github.com/lbrx/lbrx/core/internal/gemm"
)

// The float32 body of the CPU attention kernel (attentionKernel with
// float32 as the compute type: F32, F16 and BF16 operands). Scores and
// the weighted sum of values are the SGEMM kernel's vector dot and axpy
// (the float64 body converts every element and waits on one chain of
// adds); the softmax's max, exponentials and sum stay in float64, being
// one per key, not per element.

// attendF32 writes into o [d] the attention of query qv [d] over the
// keys and values first..last of kb and vb (row j of the group at
// (j*hkv+g)*d), with w [tk] as the scores' scratch.
func attendF32(o, qv, kb, vb []float32, w []float64, first, last, hkv, g int, ap AttentionParams) {
	d := len(qv)
	scale := float32(ap.Scale)
	mx := math.Inf(-1)
	for j := first; j <= last; j++ {
		w[j] = ap.capped(float64(gemm.Dot(qv, kb[(j*hkv+g)*d:]) * scale))
		mx = math.Max(mx, w[j])
	}
	sum := expScores(w, first, last, mx)
	clear(o)
	for j := first; j <= last; j++ {
		gemm.Axpy(float32(w[j]/sum), vb[(j*hkv+g)*d:][:d], o)
	}
}
