package quant

import (
	"encoding/binary"
	"math"

	"github.com/lbrx/lbrx/core"
)

// rowKernel multiplies one weight row of a ggml scheme with one input row
// without decoding the row: prep unpacks the row's sub-block scales once
// (scales[j] multiplies Σ q*x over sub-block j with q the unsigned code,
// offs[j] multiplies Σx over it: -8d for Q4_0, -32*d*sc for Q6_K,
// -dmin*m for Q4_K/Q5_K), then dot returns Σ_j scales[j]*Σ q*x and the
// caller adds Σ_j offs[j]*Σx_j from sub-block sums of x computed once
// per input row. dot is an assembly kernel where the CPU has one
// (block_kernels_amd64.go) and the Go loop below otherwise; the tests
// hold the two to each other.
type rowKernel struct {
	sub  int  // sub-block length: values per scale
	offs bool // whether offs is used (Q8_0 has no offset term)
	prep func(row []byte, scales, offs []float32)
	dot  func(row []byte, x, scales []float32) float32
	// goDot is the portable dot where dot is an assembly kernel (for the
	// tests that compare them); nil otherwise.
	goDot func(row []byte, x, scales []float32) float32
}

// rowKernels lists the schemes with a fused row kernel; the others run
// the tile kernel (tiles.go).
var rowKernels = map[core.Scheme]*rowKernel{
	core.SchemeQ8_0: {sub: 32, prep: prepQ80, dot: dotQ80},
	core.SchemeQ4_0: {sub: 32, offs: true, prep: prepQ40, dot: dotQ40},
	core.SchemeQ4_K: {sub: 32, offs: true, prep: prepK4(144), dot: dotQ4K},
	core.SchemeQ5_K: {sub: 32, offs: true, prep: prepK4(176), dot: dotQ5K},
	core.SchemeQ6_K: {sub: 16, offs: true, prep: prepQ6K, dot: dotQ6K},
}

func f16Bits(b []byte) float32 {
	return math.Float32frombits(f16Table()[binary.LittleEndian.Uint16(b)])
}

func prepQ80(row []byte, scales, _ []float32) {
	for b := range len(row) / 34 {
		scales[b] = f16Bits(row[34*b:])
	}
}

func prepQ40(row []byte, scales, offs []float32) {
	for b := range len(row) / 18 {
		d := f16Bits(row[18*b:])
		scales[b], offs[b] = d, -8*d
	}
}

// prepK4 unpacks the eight 6-bit scales and mins of each Q4_K (144-byte)
// or Q5_K (176-byte) super-block: scale d*sc, offset -dmin*m, as ggml's
// decoder forms them.
func prepK4(bb int) func(row []byte, scales, offs []float32) {
	return func(row []byte, scales, offs []float32) {
		for b := range len(row) / bb {
			blk := row[bb*b:]
			d, dmin := f16Bits(blk), f16Bits(blk[2:])
			for j := range 8 {
				sc, m := scaleMin(j, blk[4:16])
				scales[8*b+j] = d * float32(sc)
				offs[8*b+j] = -(dmin * float32(m))
			}
		}
	}
}

func prepQ6K(row []byte, scales, offs []float32) {
	for b := range len(row) / 210 {
		blk := row[210*b:]
		d := f16Bits(blk[208:])
		for j := range 16 {
			s := d * float32(int8(blk[192+j]))
			scales[16*b+j], offs[16*b+j] = s, -32*s
		}
	}
}

// The portable row dots. Each keeps four partial sums per sub-block so
// the adds do not wait on each other.

func dotQ80(row []byte, x, scales []float32) float32 {
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
		acc += scales[b] * ((a0 + a1) + (a2 + a3))
	}
	return acc
}

func dotQ40(row []byte, x, scales []float32) float32 {
	var acc float32
	for b := range len(row) / 18 {
		acc += scales[b] * nibbleDot((*[16]byte)(row[18*b+2:]), (*[32]float32)(x[32*b:]))
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

func dotQ4K(row []byte, x, scales []float32) float32 {
	var acc float32
	for b := range len(row) / 144 {
		q := row[144*b+16:]
		for i := range 4 {
			xs := x[256*b+64*i:]
			lo, hi := nibbles32((*[32]byte)(q[32*i:]), (*[32]float32)(xs), (*[32]float32)(xs[32:]))
			acc += scales[8*b+2*i]*lo + scales[8*b+2*i+1]*hi
		}
	}
	return acc
}

func dotQ5K(row []byte, x, scales []float32) float32 {
	var acc float32
	for b := range len(row) / 176 {
		qh := (*[32]byte)(row[176*b+16:])
		q := row[176*b+48:]
		for i := range 4 {
			xs := x[256*b+64*i:]
			qs := (*[32]byte)(q[32*i:])
			lo, hi := nibbles32(qs, (*[32]float32)(xs), (*[32]float32)(xs[32:]))
			// The fifth bits add 16 to a value's code.
			var h0, h1 float32
			for l := range 32 {
				h0 += float32(qh[l]>>(2*i)&1) * xs[l]
				h1 += float32(qh[l]>>(2*i+1)&1) * xs[32+l]
			}
			acc += scales[8*b+2*i]*(lo+16*h0) + scales[8*b+2*i+1]*(hi+16*h1)
		}
	}
	return acc
}

func dotQ6K(row []byte, x, scales []float32) float32 {
	var acc float32
	for b := range len(row) / 210 {
		blk := row[210*b:]
		for h := range 2 {
			ql, qh := blk[64*h:], blk[128+32*h:]
			xs := x[256*b+128*h:]
			sc := scales[16*b+8*h:]
			for half := range 2 { // l in [16*half, 16*half+16): sub-blocks half, 2+half, 4+half, 6+half
				var s1, s2, s3, s4 float32
				for l := 16 * half; l < 16*half+16; l++ {
					a, c, hb := ql[l], ql[l+32], qh[l]
					s1 += float32(a&15|(hb&3)<<4) * xs[l]
					s2 += float32(c&15|(hb>>2&3)<<4) * xs[l+32]
					s3 += float32(a>>4|(hb>>4&3)<<4) * xs[l+64]
					s4 += float32(c>>4|(hb>>6)<<4) * xs[l+96]
				}
				acc += sc[half]*s1 + sc[2+half]*s2 + sc[4+half]*s3 + sc[6+half]*s4
			}
		}
	}
	return acc
}

// matMulRows runs the row kernel: per weight row the scales are unpacked
// once, then the row is multiplied with every input row while its blocks
// are hot in L1.
func (w *BlockWeight) matMulRows(y, x []float32, m int, rk *rowKernel) {
	bb, bv := BlockBytes(w.Scheme), BlockValues(w.Scheme)
	nb := w.K / bv
	ns := w.K / rk.sub
	xs := groupSums(x, m, w.K, rk.sub)
	parallelRows(w.N, m*w.N*w.K, func(lo, hi int) {
		scales := make([]float32, ns)
		offs := make([]float32, ns)
		for n := lo; n < hi; n++ {
			row := w.Blocks[n*nb*bb : (n+1)*nb*bb]
			rk.prep(row, scales, offs)
			for r := range m {
				v := rk.dot(row, x[r*w.K:(r+1)*w.K], scales)
				if rk.offs {
					v += dotF32(offs, xs[r*ns:(r+1)*ns])
				}
				y[r*w.N+n] = v
			}
		}
	})
}
