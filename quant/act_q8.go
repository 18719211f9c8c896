package quant

import (
	"encoding/binary"
	"math"
	"unsafe"
)

// q8Row is one input row quantized for the integer row kernels
// (int_kernels.go): blocks of 32 values, each with a float32 scale d,
// codes q in [-127, 127] (x ≈ d*q, q = round(x*127/max|x|)) and the sum
// of its codes (the kernels fold the weights' offsets, Q4_0's 8 and the
// unsigned bias of VPDPBUSD, into it). ggml quantizes activations the
// same way (its q8_0 "vec_dot_type"), which is what bounds the error
// llama.cpp shows against the exact logits; the GGUF models test checks
// that lbrx stays within twice that.
type q8Row struct {
	d   []float32
	sum []int32
	qs  []int8
}

// quantizeQ8Kernel, where the CPU has one, is quantizeQ8Go in assembly
// (same results, bit for bit) over nb blocks into r's sized slices.
var quantizeQ8Kernel func(x []float32, r *q8Row)

// quantizeQ8Row fills r from x (len(x) a multiple of 32), reusing r's
// slices; see quantizeQ8Go.
func quantizeQ8Row(r *q8Row, x []float32) {
	nb := len(x) / 32
	r.d = grow(r.d, nb)
	r.sum = grow(r.sum, nb)
	r.qs = grow(r.qs, 32*nb)
	if quantizeQ8Kernel != nil {
		quantizeQ8Kernel(x[:32*nb], r)
		return
	}
	quantizeQ8Go(r, x[:32*nb])
}

// quantizeQ8Go is the portable quantizeQ8Row into r's sized slices.
// Codes round to nearest, ties to even (the float32 sum with 1.5*2^23
// does the rounding). A block holding a NaN or an infinity gets d = NaN
// and zero codes, so the product is NaN as the float kernels' would be;
// one whose largest |x| is zero, or so small (below about 3.7e-37) that
// 127/max|x| overflows, gets d = 0 and zero codes.
func quantizeQ8Go(r *q8Row, x []float32) {
	const round = 0x1.8p23
	for b := range len(x) / 32 {
		xb := (*[32]float32)(x[32*b:])
		qb := (*[32]int8)(r.qs[32*b:])
		var m0, m1 uint32 // max |x| as bits: ordered like the values
		for j := 0; j < 32; j += 2 {
			m0 = max(m0, math.Float32bits(xb[j])&^(1<<31))
			m1 = max(m1, math.Float32bits(xb[j+1])&^(1<<31))
		}
		amax := math.Float32frombits(max(m0, m1))
		switch {
		case !(amax <= math.MaxFloat32): // NaN bits sort above infinity's
			r.d[b], r.sum[b] = float32(math.NaN()), 0
			*qb = [32]int8{}
			continue
		case amax == 0:
			r.d[b], r.sum[b] = 0, 0
			*qb = [32]int8{}
			continue
		}
		id := 127 / amax
		if id > math.MaxFloat32 {
			r.d[b], r.sum[b] = 0, 0
			*qb = [32]int8{}
			continue
		}
		var s int32
		for j, v := range xb {
			// |v*id| <= 127 up to rounding; the clamp keeps it there.
			q := int32(math.Float32bits(float32(v*id)+round)&0x7fffff) - 0x400000
			q = min(max(q, -127), 127)
			qb[j] = int8(q)
			s += q
		}
		r.d[b], r.sum[b] = amax/127, s
	}
}

// QuantizeActivation quantizes x (its length a multiple of 32) as the
// integer kernels quantize their input rows (quantizeQ8Go, the portable
// spec): one scale d per block of 32 values and a code q per value,
// x[i] ~ d[i/32]*q[i]. The CUDA backend's integer kernels follow the same
// rule; their tests compare with it.
func QuantizeActivation(x []float32) (d []float32, q []int8) {
	var r q8Row
	nb := len(x) / 32
	r.d, r.sum, r.qs = make([]float32, nb), make([]int32, nb), make([]int8, 32*nb)
	quantizeQ8Go(&r, x[:32*nb])
	return r.d, r.qs
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// dotQ40Q8 is the portable integer dot of a Q4_0 row with a q8Row (the
// spec of the assembly kernels): per block d_w*d_x*Σ(q_w-8)*q_x, the
// integer sum exact, the scale product formed as the kernels form it.
func dotQ40Q8(row []byte, a *q8Row) float32 {
	var acc float32
	for b := range len(row) / 18 {
		qs := (*[16]byte)(row[18*b+2:])
		ax := (*[32]int8)(a.qs[32*b:])
		var s int32
		for j, c := range qs {
			s += int32(c&15)*int32(ax[j]) + int32(c>>4)*int32(ax[j+16])
		}
		s -= 8 * a.sum[b]
		acc += f16Bits(row[18*b:]) * a.d[b] * float32(s)
	}
	return acc
}

// dotQ80Q8 is dotQ40Q8 for Q8_0 rows: d_w*d_x*Σq_w*q_x per block.
func dotQ80Q8(row []byte, a *q8Row) float32 {
	var acc float32
	for b := range len(row) / 34 {
		qs := (*[32]byte)(row[34*b+2:])
		ax := (*[32]int8)(a.qs[32*b:])
		var s int32
		for j, c := range qs {
			s += int32(int8(c)) * int32(ax[j])
		}
		acc += f16Bits(row[34*b:]) * a.d[b] * float32(s)
	}
	return acc
}

// dotQ6KQ8 is dotQ40Q8 for Q6_K rows: per 16-value sub-block j,
// Σ(q_w-32)*q_x exact, times (d_x*(d*sc_j)) as the kernel forms it.
func dotQ6KQ8(row []byte, a *q8Row) float32 {
	var acc float32
	for b := range len(row) / 210 {
		blk := row[210*b:]
		d := f16Bits(blk[208:])
		for h := range 2 {
			ql, qh := blk[64*h:], blk[128+32*h:]
			for j := range 8 { // sub-blocks of this half
				var s int32
				for i := 16 * j; i < 16*j+16; i++ {
					// Value i of the half: the low nibbles of ql[0:64]
					// are values 0-63, the high ones 64-127; qh[i%32]
					// holds two bits for each quarter.
					l, quarter := i%64, i/32
					nib := ql[l] & 15
					if i >= 64 {
						nib = ql[l] >> 4
					}
					q := int32(nib|(qh[i%32]>>(2*quarter)&3)<<4) - 32
					x := int32(a.qs[256*b+128*h+i])
					s += q * x
				}
				da := a.d[(256*b+128*h+16*j)/32]
				sc := d * float32(int8(blk[192+8*h+j]))
				acc += float32(s) * da * sc
			}
		}
	}
	return acc
}

// The assembly kernels read a q8Row rearranged for their loads.
//
// packQ40 (Q4_0 kernels): per group of 4 blocks, 256 bytes: the codes
// of values 0-15 of blocks 0-3 (64 bytes, matching the low nibbles of
// the blocks' 16 code bytes side by side), those of values 16-31 (64
// bytes, the high nibbles), 16 int32 with -8*sum of block L at index 4L
// (zero elsewhere: the integer sums' initial values) and 16 float32
// with d of block L at 4L..4L+3. A last group of fewer than 4 blocks is
// padded with zeros, so it adds nothing whatever the weight bytes.
func packQ40(dst []byte, a *q8Row) []byte {
	nb := len(a.d)
	dst = grow(dst, packQ40Bytes(nb))
	qs := codeBytes(a)
	for b := range 4 * ((nb + 3) / 4) {
		g, l := dst[256*(b/4):], b%4
		lo, hi := (*[16]byte)(g[16*l:]), (*[16]byte)(g[64+16*l:])
		c, d := (*[16]byte)(g[128+16*l:]), (*[16]byte)(g[192+16*l:])
		if b >= nb { // padding
			*lo, *hi, *c, *d = [16]byte{}, [16]byte{}, [16]byte{}, [16]byte{}
			continue
		}
		copy(lo[:], qs[32*b:])
		copy(hi[:], qs[32*b+16:])
		*c = [16]byte{}
		binary.LittleEndian.PutUint32(c[:], uint32(-8*a.sum[b]))
		db := math.Float32bits(a.d[b])
		for i := range 4 {
			binary.LittleEndian.PutUint32(d[4*i:], db)
		}
	}
	return dst
}

// packQ80 (Q8_0 kernels): per pair of blocks, 192 bytes: the 64 codes
// in order, 16 int32 with -128*sum of block h at index 8h (the AVX-512
// kernel flips the weights' sign bits to use them as unsigned bytes,
// adding 128*sum) and 16 float32 with d of block h at 8h..8h+7. An odd
// last block is padded with zeros.
func packQ80(dst []byte, a *q8Row) []byte {
	nb := len(a.d)
	dst = grow(dst, packQ80Bytes(nb))
	qs := codeBytes(a)
	for b := range 2 * ((nb + 1) / 2) {
		p, h := dst[192*(b/2):], b%2
		q, c, d := (*[32]byte)(p[32*h:]), (*[32]byte)(p[64+32*h:]), (*[32]byte)(p[128+32*h:])
		if b >= nb { // padding
			*q, *c, *d = [32]byte{}, [32]byte{}, [32]byte{}
			continue
		}
		copy(q[:], qs[32*b:])
		*c = [32]byte{}
		binary.LittleEndian.PutUint32(c[:], uint32(-128*a.sum[b]))
		db := math.Float32bits(a.d[b])
		for i := range 8 {
			binary.LittleEndian.PutUint32(d[4*i:], db)
		}
	}
	return dst
}

// packQ6K (Q6_K kernels): per 256-value super-block, 768 bytes: the
// 256 codes in order, then for each 64-value quarter 16 int32 with
// -32*Σq_x over sub-block s (16 values) at index 4s, and 16 float32
// with d_x of the sub-block's 32-value block at 4s..4s+3.
func packQ6K(dst []byte, a *q8Row) []byte {
	nb := len(a.d) / 8
	dst = grow(dst, packQ6KBytes(nb))
	for b := range nb {
		p := dst[768*b:]
		copy(p[:256], codeBytes(a)[256*b:])
		for z := range 4 {
			c, dx := (*[64]byte)(p[256+64*z:]), (*[64]byte)(p[512+64*z:])
			*c = [64]byte{}
			for sb := range 4 {
				var sum int32
				for _, q := range a.qs[256*b+64*z+16*sb : 256*b+64*z+16*sb+16] {
					sum += int32(q)
				}
				binary.LittleEndian.PutUint32(c[16*sb:], uint32(-32*sum))
				db := math.Float32bits(a.d[8*b+(64*z+16*sb)/32])
				for i := range 4 {
					binary.LittleEndian.PutUint32(dx[16*sb+4*i:], db)
				}
			}
		}
	}
	return dst
}

// codeBytes is a.qs as bytes (two's complement, as the kernels read
// them), for copying.
func codeBytes(a *q8Row) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(a.qs))), len(a.qs))
}

func packQ6KBytes(nb int) int { return 768 * nb }

func packQ40Bytes(nb int) int { return 256 * ((nb + 3) / 4) }

func packQ80Bytes(nb int) int { return 192 * ((nb + 1) / 2) }

// packNEON (arm64 kernels): per block 36 bytes, the 32 codes in order
// and d as float32 (SDOT multiplies signed bytes, so no sums are needed).
func packNEON(dst []byte, a *q8Row) []byte {
	nb := len(a.d)
	dst = grow(dst, packNEONBytes(nb))
	for b := range nb {
		p := dst[36*b:]
		copy(p[:32], codeBytes(a)[32*b:])
		binary.LittleEndian.PutUint32(p[32:], math.Float32bits(a.d[b]))
	}
	return dst
}

func packNEONBytes(nb int) int { return 36 * nb }

// actLayout is one packing of a q8Row for a family of kernels.
type actLayout struct {
	name      string
	pack      func(dst []byte, a *q8Row) []byte
	packBytes func(nb int) int
}

var (
	layoutQ40  = &actLayout{"q40x4", packQ40, packQ40Bytes}
	layoutQ80  = &actLayout{"q80x2", packQ80, packQ80Bytes}
	layoutNEON = &actLayout{"neon", packNEON, packNEONBytes}
	layoutQ6K  = &actLayout{"q6kx4", packQ6K, packQ6KBytes}
)
