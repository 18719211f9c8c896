package quant

import (
	"encoding/binary"
	"math"

	"github.com/lbrx/lbrx/core"
)

// rowKernel multiplies one weight row of a ggml scheme with one input row
// without decoding the row into memory: dot(row, x, xs) returns
// Σ_l w_l*x_l over the row's blocks, with the scales unpacked in
// registers and the constant terms (Q4_0's -8d, the K-quants' -dmin*m and
// Q6_K's -32*d*sc) applied to xs, the sums of x over the sub-blocks of
// length sub, computed once per input row. dot is an assembly kernel
// where the CPU has one (block_kernels_amd64.go) and the Go loop below
// otherwise; the tests hold the two to each other and to the dequantized
// product.
type rowKernel struct {
	sub int // sub-block length of xs; 0 when the kernel does not use xs
	dot func(row []byte, x, xs []float32) float32
	// goDot is the portable dot where dot is an assembly kernel (for the
	// tests that compare them); nil otherwise.
	goDot func(row []byte, x, xs []float32) float32
	// variants are all the assembly kernels this CPU can run for the
	// scheme (the tests check each against goDot).
	variants []namedDot
}

// namedDot is one assembly row kernel and its instruction set.
type namedDot struct {
	name string
	dot  func(row []byte, x, xs []float32) float32
}

// rowKernels lists the fused row kernel of every scheme (block_kernels.go
// and block_kernels_small.go); large batches run the panel kernel
// (panels.go) instead.
var rowKernels = map[core.Scheme]*rowKernel{
	core.SchemeQ8_0:   {dot: dotQ80},
	core.SchemeQ4_0:   {dot: dotQ40},
	core.SchemeQ4_K:   {sub: 32, dot: dotK4(144)},
	core.SchemeQ5_K:   {sub: 32, dot: dotK4(176)},
	core.SchemeQ6_K:   {sub: 16, dot: dotQ6K},
	core.SchemeQ4_1:   {sub: 32, dot: dotQ41},
	core.SchemeQ5_0:   {sub: 32, dot: dotQ50},
	core.SchemeQ5_1:   {sub: 32, dot: dotQ51},
	core.SchemeIQ4_NL: {dot: dotIQ4NL},
	core.SchemeQ2_K:   {sub: 16, dot: dotQ2K},
	core.SchemeQ3_K:   {sub: 16, dot: dotQ3K},
	core.SchemeF16:    {dot: dotF16},
	core.SchemeBF16:   {dot: dotBF16},
}

func f16Bits(b []byte) float32 {
	return math.Float32frombits(f16Table()[binary.LittleEndian.Uint16(b)])
}

// The portable row dots. Each keeps several partial sums so that the
// adds do not wait on each other.

func dotQ80(row []byte, x, _ []float32) float32 {
	var acc float32
	for b := range len(row) / 34 {
		qs := (*[32]byte)(row[34*b+2:])
		xb := (*[32]float32)(x[32*b:])
		var a0, a1, a2, a3 float32
		for j := 0; j < 32; j += 4 {
			a0 += float32(int8(qs[j])) * xb[j]
			a1 += float32(int8(qs[j+1])) * xb[j+1]
			a2 += float32(int8(qs[j+2])) * xb[j+2]
			a3 += float32(int8(qs[j+3])) * xb[j+3]
		}
		acc += f16Bits(row[34*b:]) * ((a0 + a1) + (a2 + a3))
	}
	return acc
}

// dotQ40 sums d*Σ(q-8)*x per block, the 8 subtracted from the codes.
func dotQ40(row []byte, x, _ []float32) float32 {
	var acc float32
	for b := range len(row) / 18 {
		qs := (*[16]byte)(row[18*b+2:])
		xb := (*[32]float32)(x[32*b:])
		var a0, a1, a2, a3 float32
		for j := 0; j < 16; j += 2 {
			c, e := qs[j], qs[j+1]
			a0 += float32(int(c&15)-8) * xb[j]
			a1 += float32(int(c>>4)-8) * xb[j+16]
			a2 += float32(int(e&15)-8) * xb[j+1]
			a3 += float32(int(e>>4)-8) * xb[j+17]
		}
		acc += f16Bits(row[18*b:]) * ((a0 + a1) + (a2 + a3))
	}
	return acc
}

// nibbles32 returns Σ (q[l]&15)*lo[l] and Σ (q[l]>>4)*hi[l] over 32 bytes.
func nibbles32(q *[32]byte, lo, hi *[32]float32) (float32, float32) {
	var a0, a1, b0, b1 float32
	for l := 0; l < 32; l += 2 {
		c, e := q[l], q[l+1]
		a0 += float32(c&15) * lo[l]
		a1 += float32(e&15) * lo[l+1]
		b0 += float32(c>>4) * hi[l]
		b1 += float32(e>>4) * hi[l+1]
	}
	return a0 + a1, b0 + b1
}

// dotK4 is the row dot of Q4_K (bb = 144) and Q5_K (bb = 176, with the
// fifth bits in qh[32] at offset 16): per 32-value sub-block j,
// d*sc_j*Σq*x - dmin*m_j*Σx.
func dotK4(bb int) func(row []byte, x, xs []float32) float32 {
	return func(row []byte, x, xs []float32) float32 {
		var acc, bias float32
		for b := range len(row) / bb {
			blk := row[bb*b:]
			d, dmin := f16Bits(blk), f16Bits(blk[2:])
			q := blk[16:]
			if bb == 176 {
				q = blk[48:]
			}
			for i := range 4 {
				xi := x[256*b+64*i:]
				lo, hi := nibbles32((*[32]byte)(q[32*i:]), (*[32]float32)(xi), (*[32]float32)(xi[32:]))
				if bb == 176 { // the fifth bits add 16 to a code
					qh := (*[32]byte)(blk[16:])
					var h0, h1 float32
					for l := range 32 {
						h0 += float32(qh[l]>>(2*i)&1) * xi[l]
						h1 += float32(qh[l]>>(2*i+1)&1) * xi[32+l]
					}
					lo += 16 * h0
					hi += 16 * h1
				}
				for k, s := range [2]float32{lo, hi} {
					j := 2*i + k
					sc, m := scaleMin(j, blk[4:16])
					acc += d * float32(sc) * s
					bias += dmin * float32(m) * xs[8*b+j]
				}
			}
		}
		return acc - bias
	}
}

// dotQ6K: per 16-value sub-block j, d*sc_j*(Σq*x - 32*Σx), q unsigned.
func dotQ6K(row []byte, x, xs []float32) float32 {
	var acc, bias float32
	for b := range len(row) / 210 {
		blk := row[210*b:]
		d := f16Bits(blk[208:])
		var sc [16]float32
		for j := range 16 {
			sc[j] = d * float32(int8(blk[192+j]))
			bias += sc[j] * xs[16*b+j]
		}
		for h := range 2 {
			ql, qh := blk[64*h:], blk[128+32*h:]
			xh := x[256*b+128*h:]
			for half := range 2 { // l in [16*half, 16*half+16): sub-blocks half, 2+half, 4+half, 6+half
				var s1, s2, s3, s4 float32
				for l := 16 * half; l < 16*half+16; l++ {
					a, c, hb := ql[l], ql[l+32], qh[l]
					s1 += float32(a&15|(hb&3)<<4) * xh[l]
					s2 += float32(c&15|(hb>>2&3)<<4) * xh[l+32]
					s3 += float32(a>>4|(hb>>4&3)<<4) * xh[l+64]
					s4 += float32(c>>4|(hb>>6)<<4) * xh[l+96]
				}
				s := sc[8*h:]
				acc += s[half]*s1 + s[2+half]*s2 + s[4+half]*s3 + s[6+half]*s4
			}
		}
	}
	return acc - 32*bias
}

// matMulRows runs the row kernel for every weight row against every
// input row, weight row outermost so that a row's blocks stay in L1
// while the m inputs pass.
func (w *BlockWeight) matMulRows(y, x []float32, m int, rk *rowKernel) {
	bb, bv := BlockBytes(w.Scheme), BlockValues(w.Scheme)
	nb := w.K / bv
	var xs []float32
	ns := 0
	if rk.sub > 0 {
		ns = w.K / rk.sub
		xs = groupSums(x, m, w.K, rk.sub)
	}
	parallelRows(w.N, m*w.N*w.K, func(lo, hi int) {
		for n := lo; n < hi; n++ {
			row := w.Blocks[n*nb*bb : (n+1)*nb*bb]
			for r := range m {
				y[r*w.N+n] = rk.dot(row, x[r*w.K:(r+1)*w.K], xs[r*ns:(r+1)*ns])
			}
		}
	})
}

// asmRowDot wraps a row kernel over blocks of bb bytes and bv values
// that reads spb sub-block sums of x per block.
func asmRowDot(f func(row *byte, x *float32, xs *float32, nb int) float32, bb, bv, spb int) func(row []byte, x, xs []float32) float32 {
	return func(row []byte, x, xs []float32) float32 {
		nb := len(row) / bb
		if nb == 0 {
			return 0
		}
		_ = x[nb*bv-1]
		if spb == 0 {
			return f(&row[0], &x[0], nil, nb)
		}
		_ = xs[nb*spb-1]
		return f(&row[0], &x[0], &xs[0], nb)
	}
}

// installAsm makes the given kernels the schemes' row dots (the last
// install wins), keeping the portable one as goDot and every assembly
// variant for the tests.
func installAsm(name string, asm map[core.Scheme]func(row []byte, x, xs []float32) float32) {
	for s, f := range asm {
		rk := *rowKernels[s]
		if rk.goDot == nil {
			rk.goDot = rk.dot
		}
		rk.dot = f
		rk.variants = append(append([]namedDot(nil), rk.variants...), namedDot{name, f})
		rowKernels[s] = &rk
	}
}
