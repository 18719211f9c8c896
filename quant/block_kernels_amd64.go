//go:build amd64 && !noasm

package quant

import "github.com/lbrx/lbrx/core"

// AVX2+FMA row kernels for the ggml schemes real models use most (Q8_0,
// Q4_0, Q4_K, Q5_K, Q6_K) and the 4-row tile dot of the batched product.
// Each row kernel returns Σ_j scales[j]*Σ q*x over nb whole blocks (see
// rowKernel); Go slices are checked here so the assembly never reads past
// them.

//go:noescape
func dotQ80AVX2(row *byte, x *float32, scales *float32, nb int) float32

//go:noescape
func dotQ40AVX2(row *byte, x *float32, scales *float32, nb int) float32

//go:noescape
func dotQ4KAVX2(row *byte, x *float32, scales *float32, nb int) float32

//go:noescape
func dotQ5KAVX2(row *byte, x *float32, scales *float32, nb int) float32

//go:noescape
func dotQ6KAVX2(row *byte, x *float32, scales *float32, nb int) float32

//go:noescape
func dotRows4AVX2(t *float32, x *float32, stride int, n int, out *float32)

// asmRowDot wraps a row kernel over blocks of bb bytes and bv values
// with spb scales per block.
func asmRowDot(f func(row *byte, x *float32, scales *float32, nb int) float32, bb, bv, spb int) func(row []byte, x, scales []float32) float32 {
	return func(row []byte, x, scales []float32) float32 {
		nb := len(row) / bb
		if nb == 0 {
			return 0
		}
		_ = x[nb*bv-1]
		_ = scales[nb*spb-1]
		return f(&row[0], &x[0], &scales[0], nb)
	}
}

func init() {
	if !hasAVX2FMA {
		return
	}
	asm := map[core.Scheme]func(row []byte, x, scales []float32) float32{
		core.SchemeQ8_0: asmRowDot(dotQ80AVX2, 34, 32, 1),
		core.SchemeQ4_0: asmRowDot(dotQ40AVX2, 18, 32, 1),
		core.SchemeQ4_K: asmRowDot(dotQ4KAVX2, 144, 256, 8),
		core.SchemeQ5_K: asmRowDot(dotQ5KAVX2, 176, 256, 8),
		core.SchemeQ6_K: asmRowDot(dotQ6KAVX2, 210, 256, 16),
	}
	for s, f := range asm {
		rk := *rowKernels[s]
		rk.goDot, rk.dot = rk.dot, f
		rowKernels[s] = &rk
	}
	dotRows4 = func(out *[4]float32, t, x []float32, stride int) {
		n := len(t)
		if n == 0 {
			*out = [4]float32{}
			return
		}
		_ = x[3*stride+n-1]
		dotRows4AVX2(&t[0], &x[0], stride, n, &out[0])
	}
}
