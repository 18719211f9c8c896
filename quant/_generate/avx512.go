package main

// blockKernelsAVX512 writes block_kernels512_amd64.s: the AVX2 kernels
// widened to 16 lanes. Accumulators: Z6, Z7, Z14, Z16 (summed at the
// end), Y15 or X15 the K-quant mins or the Q4_1/Q5_1 offsets.
func blockKernelsAVX512() string {
	f := &file{}
	f.raw(`
//go:build amd64 && !noasm

// AVX-512 (F) row kernels for ggml blocks, the AVX2 ones of
// block_kernels_amd64.s widened to 16 lanes: one zmm holds 16 codes
// widened from 16 bytes. Same contract (see rowKernel).

#include "textflag.h"

`)
	z512Q80(f)
	z512Q40(f)
	z512Q4K(f)
	z512Q5K(f)
	z512Q6K(f)
	z512Q41(f)
	z512Q50(f)
	z512Q51(f)
	z512IQ4NL(f)
	z512Q2K(f)
	z512Q3K(f)
	f.line("// Per-lane shift counts for Q5_0/Q5_1: lane i reads bit i of qh (values")
	f.line("// 0-15), then bit 16+i (values 16-31).")
	dataInts(f, "q5shifts512<>", 4, q5Shifts())
	f.line("")
	f.line("// kvalues_iq4nl, ggml's IQ4_NL codebook.")
	dataInts(f, "iq4nl512<>", 1, iq4nlBytes())
	return f.text()
}

// zHead writes the comment, TEXT line, argument loads and the zeroing of
// Z6, Z7 and Z14; kquant also zeroes Y15 and Z16.
func zHead(f *file, name string, frame int, doc string, kquant bool) {
	f.line("// func %s(row *byte, x *float32, xs *float32, nb int) float32", name)
	if doc != "" {
		f.line("//")
		f.comment(doc)
	}
	f.line("TEXT ·%s(SB), NOSPLIT, $%d-36", name, frame)
	f.i("MOVQ row+0(FP), SI")
	f.i("MOVQ x+8(FP), DI")
	f.i("MOVQ xs+16(FP), R8")
	f.i("MOVQ nb+24(FP), CX")
	f.i("VPXORD Z6, Z6, Z6")
	f.i("VPXORD Z7, Z7, Z7")
	f.i("VPXORD Z14, Z14, Z14")
	if kquant {
		f.i("VXORPS Y15, Y15, Y15")
		f.i("VPXORD Z16, Z16, Z16")
	}
}

// zOnes sets every bit of Z<r>.
func zOnes(f *file, r int) {
	f.i("VPTERNLOGD $0xff, Z%d, Z%d, Z%d", r, r, r)
}

// zNibbleMask sets Z8 to 0x0f in every dword lane.
func zNibbleMask(f *file) {
	zOnes(f, 8)
	f.i("VPSRLD   $28, Z8, Z8")
}

// zF16 broadcasts the f16 at off(SI) to all lanes of Z<v>, through the
// general register gp and X<v>.
func zF16(f *file, off int, gp string, v int) {
	f.i("MOVWLZX     %d(SI), %s", off, gp)
	f.i("VMOVD       %s, X%d", gp, v)
	f.i("VCVTPH2PS   X%d, X%d", v, v)
	f.i("VBROADCASTSS X%d, Z%d", v, v)
}

// zSum adds Z7 into Z6 and sums its 16 lanes into X0.
func zSum(f *file) {
	f.i("VADDPS      Z7, Z6, Z6")
	f.i("VEXTRACTF64X4 $1, Z6, Y1")
	f.i("VADDPS      Y1, Y6, Y0")
	f.i("VEXTRACTF128 $1, Y0, X1")
	f.i("VADDPS      X1, X0, X0")
	f.i("VHADDPS     X0, X0, X0")
	f.i("VHADDPS     X0, X0, X0")
}

// zKDone returns Σ (Z6+Z7+Z14+Z16) - Σ Y15 (times the f32 bit pattern mul
// when it is not zero).
func zKDone(f *file, mul uint32, mulNote string) {
	f.i("VADDPS Z14, Z6, Z6")
	f.i("VADDPS Z16, Z7, Z7")
	zSum(f)
	f.i("VEXTRACTF128 $1, Y15, X1")
	f.i("VADDPS      X1, X15, X1")
	f.i("VHADDPS     X1, X1, X1")
	f.i("VHADDPS     X1, X1, X1")
	if mul != 0 {
		f.i("MOVL        $0x%08x, AX  // %s", mul, mulNote)
		f.i("VMOVD       AX, X2")
		f.i("VMULSS      X2, X1, X1")
	}
	f.i("VSUBSS      X1, X0, X0")
	retX0(f)
}

// zAcc is the accumulator of the i-th of four interleaved FMA chains.
func zAcc(i int) int { return []int{6, 7, 14, 16}[i%4] }

func z512Q80(f *file) {
	zHead(f, "dotQ80AVX512", 0, "", false)
	loopHead(f, "q80loop", "q80done")
	f.i("// Two blocks per pass into two accumulators: one chain of FMAs")
	f.i("// into Z6 held the loop to the FMA latency per block.")
	f.i("CMPQ CX, $2")
	f.i("JLT  q80tail")
	for k := range 4 {
		f.i("VPMOVSXBD   %d(SI), Z%d", 34*(k/2)+2+16*(k%2), k)
	}
	for k := range 4 {
		f.i("VCVTDQ2PS   Z%d, Z%d", k, k)
	}
	f.i("VMULPS      (DI), Z0, Z0")
	f.i("VFMADD231PS 64(DI), Z1, Z0")
	f.i("VMULPS      128(DI), Z2, Z2")
	f.i("VFMADD231PS 192(DI), Z3, Z2")
	zF16(f, 0, "AX", 5)
	zF16(f, 34, "BX", 4)
	f.i("VFMADD231PS Z0, Z5, Z6")
	f.i("VFMADD231PS Z2, Z4, Z7")
	f.i("ADDQ $68, SI")
	f.i("ADDQ $256, DI")
	f.i("SUBQ $2, CX")
	f.i("JMP  q80loop")
	f.label("q80tail")
	f.i("TESTQ CX, CX")
	f.i("JZ    q80done")
	f.i("VPMOVSXBD   2(SI), Z0")
	f.i("VPMOVSXBD   18(SI), Z1")
	f.i("VCVTDQ2PS   Z0, Z0")
	f.i("VCVTDQ2PS   Z1, Z1")
	f.i("VMULPS      (DI), Z0, Z0")
	f.i("VFMADD231PS 64(DI), Z1, Z0")
	zF16(f, 0, "AX", 5)
	f.i("VFMADD231PS Z0, Z5, Z6")
	f.label("q80done")
	zSum(f)
	retX0(f)
}

func z512Q40(f *file) {
	zHead(f, "dotQ40AVX512", 0, "", false)
	zNibbleMask(f)
	f.i("VPSRLD   $3, Z8, Z9         // 1")
	f.i("VPSLLD   $3, Z9, Z9         // 8")
	loopHead(f, "q40loop", "q40done")
	f.i("// Two blocks per pass into two accumulators (see q80loop).")
	f.i("CMPQ CX, $2")
	f.i("JLT  q40tail")
	f.i("VPMOVZXBD   2(SI), Z0")
	f.i("VPMOVZXBD   20(SI), Z2")
	f.i("VPANDD      Z8, Z0, Z1")
	f.i("VPANDD      Z8, Z2, Z3")
	f.i("VPSRLD      $4, Z0, Z0")
	f.i("VPSRLD      $4, Z2, Z2")
	for _, r := range []int{1, 0, 3, 2} {
		f.i("VPSUBD      Z9, Z%d, Z%d", r, r)
	}
	for _, r := range []int{1, 0, 3, 2} {
		f.i("VCVTDQ2PS   Z%d, Z%d", r, r)
	}
	f.i("VMULPS      (DI), Z1, Z1")
	f.i("VFMADD231PS 64(DI), Z0, Z1")
	f.i("VMULPS      128(DI), Z3, Z3")
	f.i("VFMADD231PS 192(DI), Z2, Z3")
	zF16(f, 0, "AX", 5)
	zF16(f, 18, "BX", 4)
	f.i("VFMADD231PS Z1, Z5, Z6")
	f.i("VFMADD231PS Z3, Z4, Z7")
	f.i("ADDQ $36, SI")
	f.i("ADDQ $256, DI")
	f.i("SUBQ $2, CX")
	f.i("JMP  q40loop")
	f.label("q40tail")
	f.i("TESTQ CX, CX")
	f.i("JZ    q40done")
	f.i("VPMOVZXBD   2(SI), Z0")
	f.i("VPANDD      Z8, Z0, Z1")
	f.i("VPSRLD      $4, Z0, Z0")
	f.i("VPSUBD      Z9, Z1, Z1")
	f.i("VPSUBD      Z9, Z0, Z0")
	f.i("VCVTDQ2PS   Z1, Z1")
	f.i("VCVTDQ2PS   Z0, Z0")
	f.i("VMULPS      (DI), Z1, Z1")
	f.i("VFMADD231PS 64(DI), Z0, Z1")
	zF16(f, 0, "AX", 5)
	f.i("VFMADD231PS Z1, Z5, Z6")
	f.label("q40done")
	zSum(f)
	retX0(f)
}

func z512Q4K(f *file) {
	zHead(f, "dotQ4KAVX512", 32, "", true)
	zNibbleMask(f)
	loopHead(f, "q4kloop", "q4kdone")
	kScalesMins(f, 15)
	for g := range 4 {
		so, xo := 16+32*g, 256*g
		f.i("VPMOVZXBD   %d(SI), Z0", so)
		f.i("VPMOVZXBD   %d(SI), Z1", so+16)
		f.i("VPANDD      Z8, Z0, Z2")
		f.i("VPANDD      Z8, Z1, Z3")
		f.i("VPSRLD      $4, Z0, Z0")
		f.i("VPSRLD      $4, Z1, Z1")
		for _, r := range []int{2, 3, 0, 1} {
			f.i("VCVTDQ2PS   Z%d, Z%d", r, r)
		}
		f.i("VMULPS      %d(DI), Z2, Z2", xo)
		f.i("VFMADD231PS %d(DI), Z3, Z2", xo+64)
		f.i("VMULPS      %d(DI), Z0, Z0", xo+128)
		f.i("VFMADD231PS %d(DI), Z1, Z0", xo+192)
		f.i("VBROADCASTSS %d(SP), Z5", 8*g)
		f.i("VFMADD231PS Z2, Z5, Z%d", zAcc(2*(g%2)))
		f.i("VBROADCASTSS %d(SP), Z5", 8*g+4)
		f.i("VFMADD231PS Z0, Z5, Z%d", zAcc(2*(g%2)+1))
	}
	loopTail(f, "q4kloop", "q4kdone", "$144, SI", "$1024, DI", "$32, R8")
	zKDone(f, 0, "")
}

func z512Q5K(f *file) {
	zHead(f, "dotQ5KAVX512", 32, "", true)
	zNibbleMask(f)
	zOnes(f, 9)
	f.i("VPSRLD   $31, Z9, Z9")
	f.i("VPSLLD   $4, Z9, Z9         // 0x10")
	loopHead(f, "q5kloop", "q5kdone")
	kScalesMins(f, 15)
	f.i("VPMOVZXBD   16(SI), Z12")
	f.i("VPMOVZXBD   32(SI), Z13")
	f.i("VPSLLD      $4, Z12, Z12")
	f.i("VPSLLD      $4, Z13, Z13")
	for g := range 4 {
		so, xo := 48+32*g, 256*g
		for hi := range 2 {
			bit := 2*g + hi
			for k := range 2 {
				f.i("VPMOVZXBD   %d(SI), Z%d", so+16*k, k)
				if hi == 0 {
					f.i("VPANDD      Z8, Z%d, Z%d", k, k)
				} else {
					f.i("VPSRLD      $4, Z%d, Z%d", k, k)
				}
				if bit == 0 {
					f.i("VPANDD      Z9, Z%d, Z2", 12+k)
				} else {
					f.i("VPSRLD      $%d, Z%d, Z2", bit, 12+k)
					f.i("VPANDD      Z9, Z2, Z2")
				}
				f.i("VPORD       Z2, Z%d, Z%d", k, k)
				f.i("VCVTDQ2PS   Z%d, Z%d", k, k)
			}
			f.i("VMULPS      %d(DI), Z0, Z0", xo+128*hi)
			f.i("VFMADD231PS %d(DI), Z1, Z0", xo+128*hi+64)
			f.i("VBROADCASTSS %d(SP), Z5", 4*bit)
			f.i("VFMADD231PS Z0, Z5, Z%d", zAcc(bit))
		}
	}
	loopTail(f, "q5kloop", "q5kdone", "$176, SI", "$1024, DI", "$32, R8")
	zKDone(f, 0, "")
}

func z512Q6K(f *file) {
	zHead(f, "dotQ6KAVX512", 64, `
Each zmm chunk of 16 values is one 16-value sub-block: its codes are
multiplied by the sub-block's scale before the FMA with x.`, true)
	zNibbleMask(f)
	zOnes(f, 9)
	f.i("VPSRLD   $30, Z9, Z9")
	f.i("VPSLLD   $4, Z9, Z9         // 0x30")
	loopHead(f, "q6kloop", "q6kdone")
	f.raw(`
	VPMOVSXBD   192(SI), Y0
	VPMOVSXBD   200(SI), Y1
	VCVTDQ2PS   Y0, Y0
	VCVTDQ2PS   Y1, Y1
	VPBROADCASTW 208(SI), X2
	VCVTPH2PS   X2, Y2
	VMULPS      Y2, Y0, Y0
	VMULPS      Y2, Y1, Y1
	VMOVUPS     Y0, 0(SP)
	VMOVUPS     Y1, 32(SP)
	VFMADD231PS (R8), Y0, Y15
	VFMADD231PS 32(R8), Y1, Y15
`)
	for h := range 2 {
		for p := range 2 {
			q := 2 * p
			x := 512*h + 64*p
			f.i("VPMOVZXBD   %d(SI), Z0", 64*h+8*q)
			f.i("VPMOVZXBD   %d(SI), Z1", 64*h+32+8*q)
			f.i("VPMOVZXBD   %d(SI), Z2", 128+32*h+8*q)
			for v := range 4 {
				switch v {
				case 0:
					f.i("VPANDD      Z8, Z0, Z3")
					f.i("VPSLLD      $4, Z2, Z4")
					f.i("VPANDD      Z9, Z4, Z4")
				case 1:
					f.i("VPANDD      Z8, Z1, Z3")
					f.i("VPSLLD      $2, Z2, Z4")
					f.i("VPANDD      Z9, Z4, Z4")
				case 2:
					f.i("VPSRLD      $4, Z0, Z3")
					f.i("VPANDD      Z9, Z2, Z4")
				case 3:
					f.i("VPSRLD      $4, Z1, Z3")
					f.i("VPSRLD      $2, Z2, Z4")
					f.i("VPANDD      Z9, Z4, Z4")
				}
				f.i("VPORD       Z4, Z3, Z3")
				f.i("VCVTDQ2PS   Z3, Z3")
				f.i("VMULPS.BCST %d(SP), Z3, Z3", 4*(8*h+2*v+p))
				f.i("VFMADD231PS %d(DI), Z3, Z%d", x+128*v, zAcc(v))
			}
		}
	}
	loopTail(f, "q6kloop", "q6kdone", "$210, SI", "$1024, DI", "$64, R8")
	zKDone(f, 0x42000000, "32.0")
}

// zBlock32Sum dots the codes of values 0-15 (Z2) and 16-31 (Z3) with the
// block's 32 x and adds d times that to Z6.
func zBlock32Sum(f *file) {
	f.i("VCVTDQ2PS   Z2, Z2")
	f.i("VCVTDQ2PS   Z3, Z3")
	f.i("VMULPS      (DI), Z2, Z2")
	f.i("VFMADD231PS 64(DI), Z3, Z2")
	zF16(f, 0, "AX", 5)
	f.i("VFMADD231PS Z2, Z5, Z6")
}

// zSplitNibbles widens the 16 code bytes at off(SI) into their low (Z2)
// and high (Z3) nibbles.
func zSplitNibbles(f *file, off int) {
	f.i("VPMOVZXBD   %d(SI), Z0", off)
	f.i("VPANDD      Z8, Z0, Z2        // values 0-15")
	f.i("VPSRLD      $4, Z0, Z3        // values 16-31")
}

// zMinAcc adds m*xs_b of a Q4_1/Q5_1 block (m the f16 at 2(SI)) to X15.
func zMinAcc(f *file) {
	f.i("VPBROADCASTW 2(SI), X5")
	f.i("VCVTPH2PS   X5, X5")
	f.i("VFMADD231SS (R8), X5, X15")
	f.i("ADDQ $4, R8")
}

// zQ5High ORs bit 4 from the broadcast qh (Z4) into the codes in Z2, Z3.
func zQ5High(f *file) {
	for k, r := range []int{2, 3} {
		f.i("VPSRLVD     Z%d, Z4, Z5", 11+k)
		f.i("VPANDD      Z10, Z5, Z5")
		f.i("VPSLLD      $4, Z5, Z5")
		f.i("VPORD       Z5, Z%d, Z%d", r, r)
	}
}

// zOne sets Z10 to 1 in every lane and loads the Q5 shift tables.
func zOne(f *file) {
	zOnes(f, 10)
	f.i("VPSRLD   $31, Z10, Z10      // 1")
	f.i("VMOVDQU32 q5shifts512<>+0(SB), Z11")
	f.i("VMOVDQU32 q5shifts512<>+64(SB), Z12")
}

func z512Q41(f *file) {
	zHead(f, "dotQ41AVX512", 0, "", false)
	zNibbleMask(f)
	f.i("VXORPS   X15, X15, X15")
	loopHead(f, "dotQ41AVX512loop", "dotQ41AVX512done")
	zSplitNibbles(f, 4)
	zBlock32Sum(f)
	zMinAcc(f)
	loopTail(f, "dotQ41AVX512loop", "dotQ41AVX512done", "$20, SI", "$128, DI")
	zSum(f)
	f.i("VADDSS      X15, X0, X0")
	retX0(f)
}

func z512Q50(f *file) {
	zHead(f, "dotQ50AVX512", 0, "", false)
	zNibbleMask(f)
	zOnes(f, 9)
	f.i("VPSRLD   $31, Z9, Z9")
	f.i("VPSLLD   $4, Z9, Z9         // 16")
	zOne(f)
	loopHead(f, "dotQ50AVX512loop", "dotQ50AVX512done")
	zSplitNibbles(f, 6)
	f.i("VPBROADCASTD 2(SI), Z4")
	zQ5High(f)
	f.i("VPSUBD      Z9, Z2, Z2")
	f.i("VPSUBD      Z9, Z3, Z3")
	zBlock32Sum(f)
	loopTail(f, "dotQ50AVX512loop", "dotQ50AVX512done", "$22, SI", "$128, DI")
	zSum(f)
	retX0(f)
}

func z512Q51(f *file) {
	zHead(f, "dotQ51AVX512", 0, "", false)
	zNibbleMask(f)
	zOne(f)
	f.i("VXORPS   X15, X15, X15")
	loopHead(f, "dotQ51AVX512loop", "dotQ51AVX512done")
	zSplitNibbles(f, 8)
	f.i("VPBROADCASTD 4(SI), Z4")
	zQ5High(f)
	zBlock32Sum(f)
	zMinAcc(f)
	loopTail(f, "dotQ51AVX512loop", "dotQ51AVX512done", "$24, SI", "$128, DI")
	zSum(f)
	f.i("VADDSS      X15, X0, X0")
	retX0(f)
}

func z512IQ4NL(f *file) {
	zHead(f, "dotIQ4NLAVX512", 0, "", false)
	zNibbleMask(f)
	f.raw(`
	VMOVDQU  iq4nl512<>(SB), X11
	VPCMPEQB X12, X12, X12
	VPSRLW   $12, X12, X12
	VPACKUSWB X12, X12, X12     // 0x0f bytes
`)
	loopHead(f, "dotIQ4NLAVX512loop", "dotIQ4NLAVX512done")
	f.raw(`
	VMOVDQU     2(SI), X0
	VPSRLW      $4, X0, X1
	VPAND       X12, X0, X0
	VPAND       X12, X1, X1
	VPSHUFB     X0, X11, X0
	VPSHUFB     X1, X11, X1
	VPMOVSXBD   X0, Z2
	VPMOVSXBD   X1, Z3
`)
	zBlock32Sum(f)
	loopTail(f, "dotIQ4NLAVX512loop", "dotIQ4NLAVX512done", "$18, SI", "$128, DI")
	zSum(f)
	retX0(f)
}

func z512Q2K(f *file) {
	zHead(f, "dotQ2KAVX512", 64, "", true)
	zOnes(f, 9)
	f.i("VPSRLD   $30, Z9, Z9        // 3")
	f.i("VPCMPEQD Y8, Y8, Y8")
	f.i("VPSRLD   $28, Y8, Y8        // 0x0f (ymm, for the scales)")
	loopHead(f, "dotQ2KAVX512loop", "dotQ2KAVX512done")
	f.i("VPBROADCASTW 80(SI), X3")
	f.i("VCVTPH2PS X3, Y3")
	f.i("VPBROADCASTW 82(SI), X4")
	f.i("VCVTPH2PS X4, Y4")
	for s := range 2 {
		f.i("VPMOVZXBD %d(SI), Y0", 8*s)
		f.i("VPAND     Y8, Y0, Y1")
		f.i("VCVTDQ2PS Y1, Y1")
		f.i("VMULPS    Y3, Y1, Y1")
		f.i("VMOVUPS   Y1, %d(SP)", 32*s)
		f.i("VPSRLD    $4, Y0, Y0")
		f.i("VCVTDQ2PS Y0, Y0")
		f.i("VMULPS    Y4, Y0, Y0")
		f.i("VFMADD231PS %d(R8), Y0, Y15", 32*s)
	}
	for n := range 2 {
		for p := range 2 {
			f.i("VPMOVZXBD   %d(SI), Z0", 16+32*n+16*p)
			for k := range 4 {
				if k == 0 {
					f.i("VPANDD      Z9, Z0, Z1")
				} else {
					f.i("VPSRLD      $%d, Z0, Z1", 2*k)
					f.i("VPANDD      Z9, Z1, Z1")
				}
				f.i("VCVTDQ2PS   Z1, Z1")
				f.i("VMULPS      %d(DI), Z1, Z1", 512*n+64*p+128*k)
				f.i("VBROADCASTSS %d(SP), Z5", 4*(8*n+2*k+p))
				f.i("VFMADD231PS Z1, Z5, Z%d", zAcc(k))
			}
		}
	}
	loopTail(f, "dotQ2KAVX512loop", "dotQ2KAVX512done", "$84, SI", "$1024, DI", "$64, R8")
	zKDone(f, 0, "")
}

func z512Q3K(f *file) {
	zHead(f, "dotQ3KAVX512", 64, "", true)
	zOnes(f, 9)
	f.i("VPSRLD   $30, Z9, Z9        // 3")
	f.i("VPSRLD   $1, Z9, Z8")
	f.i("VPSLLD   $2, Z8, Z8         // 4")
	f.i("VPCMPEQD Y10, Y10, Y10")
	f.i("VPSRLD   $31, Y10, Y10")
	f.i("VPSLLD   $5, Y10, Y10       // 32 (ymm, for the scales)")
	loopHead(f, "dotQ3KAVX512loop", "dotQ3KAVX512done")
	q3kScales(f, "")
	q3kScaleStore(f, 10)
	for n := range 2 {
		for p := range 2 {
			f.i("VPMOVZXBD   %d(SI), Z0", 32+32*n+16*p)
			f.i("VPMOVZXBD   %d(SI), Z4", 16*p)
			f.i("VPSLLD      $2, Z4, Z4")
			for k := range 4 {
				if k == 0 {
					f.i("VPANDD      Z9, Z0, Z1")
				} else {
					f.i("VPSRLD      $%d, Z0, Z1", 2*k)
					f.i("VPANDD      Z9, Z1, Z1")
				}
				if s := 4*n + k; s == 0 {
					f.i("VPANDD      Z8, Z4, Z2")
				} else {
					f.i("VPSRLD      $%d, Z4, Z2", s)
					f.i("VPANDD      Z8, Z2, Z2")
				}
				f.i("VPORD       Z2, Z1, Z1")
				f.i("VCVTDQ2PS   Z1, Z1")
				f.i("VMULPS      %d(DI), Z1, Z1", 512*n+64*p+128*k)
				f.i("VBROADCASTSS %d(SP), Z5", 4*(8*n+2*k+p))
				f.i("VFMADD231PS Z1, Z5, Z%d", zAcc(k))
			}
		}
	}
	loopTail(f, "dotQ3KAVX512loop", "dotQ3KAVX512done", "$110, SI", "$1024, DI", "$64, R8")
	zKDone(f, 0x40800000, "4.0")
}
