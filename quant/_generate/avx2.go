package main

// blockKernelsAVX2 writes block_kernels_amd64.s: the AVX2+FMA row
// kernels, one block (or K-quant super-block) per loop pass, every
// sub-block unrolled. Registers, by convention across the kernels: SI the
// row, DI x, R8 xs, CX the block count; Y6 (and a second accumulator) the
// Σ scale*Σq*x, Y7 or Y15 the Σ min*xs that the K-quants subtract.
func blockKernelsAVX2() string {
	f := &file{}
	f.raw(`
//go:build amd64 && !noasm

// AVX2 + FMA row kernels for ggml blocks, fully unrolled per block (see
// block_kernels_amd64.go for the contract). Each row kernel returns
// Σ_j scales[j] * Σ_{l in sub-block j} q_l * x_l over nb blocks, q the
// unsigned code; the offset terms are added in Go.

#include "textflag.h"

`)
	avx2Q80(f)
	avx2Q40(f)
	avx2Q4K(f)
	avx2Q5K(f)
	avx2Q6K(f)
	avx2Q41(f)
	avx2Q50(f)
	avx2Q51(f)
	avx2IQ4NL(f)
	f.line("// Per-lane shift counts for Q5_0/Q5_1: lane i of part k reads bit 8k+i")
	f.line("// (parts: values 0-7, 8-15, 16-23, 24-31).")
	dataInts(f, "q5shifts<>", 4, q5Shifts())
	f.line("")
	f.line("// kvalues_iq4nl, ggml's IQ4_NL codebook.")
	dataInts(f, "iq4nlValues<>", 1, iq4nlBytes())
	f.line("")
	avx2Q2K(f)
	avx2Q3K(f)
	return f.text()
}

// q5Shifts are the per-lane VPSRLVD counts 0..31 of the Q5 kernels.
func q5Shifts() []int {
	s := make([]int, 32)
	for i := range s {
		s[i] = i
	}
	return s
}

// iq4nlBytes is ggml's kvalues_iq4nl as unsigned bytes.
func iq4nlBytes() []int {
	v := []int{-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113}
	for i := range v {
		v[i] &= 0xff
	}
	return v
}

// dataInts writes a read-only table of width-byte entries.
func dataInts(f *file, sym string, width int, v []int) {
	for i, x := range v {
		f.line("DATA %s+%d(SB)/%d, $%d", sym, i*width, width, x)
	}
	f.line("GLOBL %s(SB), RODATA|NOPTR, $%d", sym, len(v)*width)
}

// avx2Head writes the doc comment, TEXT line, argument loads and the
// zeroing of Y6 and Y7 every AVX2 kernel starts with.
func avx2Head(f *file, name string, frame int, doc string) {
	f.line("// func %s(row *byte, x *float32, xs *float32, nb int) float32", name)
	f.line("//")
	f.comment(doc)
	f.line("TEXT ·%s(SB), NOSPLIT, $%d-36", name, frame)
	f.i("MOVQ row+0(FP), SI")
	f.i("MOVQ x+8(FP), DI")
	f.i("MOVQ xs+16(FP), R8")
	f.i("MOVQ nb+24(FP), CX")
	f.i("VXORPS Y6, Y6, Y6")
	f.i("VXORPS Y7, Y7, Y7")
}

// loopHead skips the loop for nb == 0 and opens it.
func loopHead(f *file, loop, done string) {
	f.i("TESTQ CX, CX")
	f.i("JZ    %s", done)
	f.label(loop)
}

// loopTail advances the pointers by the given "$n, REG" steps, closes the
// loop and opens the done label.
func loopTail(f *file, loop, done string, steps ...string) {
	for _, s := range steps {
		f.i("ADDQ %s", s)
	}
	f.i("DECQ CX")
	f.i("JNZ  %s", loop)
	f.label(done)
}

// nibbleMask sets Y8 to 0x0f in every dword lane.
func nibbleMask(f *file) {
	f.i("VPCMPEQD Y8, Y8, Y8")
	f.i("VPSRLD   $28, Y8, Y8")
}

// hsumY6 sums the eight lanes of Y6 into X0 (X1 scratch).
func hsumY6(f *file) {
	f.i("VEXTRACTF128 $1, Y6, X1")
	f.i("VADDPS      X1, X6, X0")
	f.i("VHADDPS     X0, X0, X0")
	f.i("VHADDPS     X0, X0, X0")
}

// retX0 returns X0.
func retX0(f *file) {
	f.i("VZEROUPPER")
	f.i("MOVSS       X0, ret+32(FP)")
	f.i("RET")
	f.line("")
}

// mulAcc writes the product into acc for the first part (VMULPS) and the
// FMA into it for the others.
func mulAcc(f *file, first bool, xoff, src, acc int) {
	if first {
		f.i("VMULPS      %d(DI), Y%d, Y%d", xoff, src, acc)
	} else {
		f.i("VFMADD231PS %d(DI), Y%d, Y%d", xoff, src, acc)
	}
}

// block32Sum converts the codes of values 0-7, 8-15, 16-23, 24-31 (in Y2,
// Y3, Y0, Y1), dots them with the block's 32 x and adds d times that to
// Y6, d the f16 at (SI).
func block32Sum(f *file) {
	for _, r := range []int{2, 3, 0, 1} {
		f.i("VCVTDQ2PS   Y%d, Y%d", r, r)
	}
	f.i("VMULPS      (DI), Y2, Y2")
	f.i("VMULPS      32(DI), Y3, Y3")
	f.i("VFMADD231PS 64(DI), Y0, Y2")
	f.i("VFMADD231PS 96(DI), Y1, Y3")
	f.i("VADDPS      Y3, Y2, Y2")
	f.i("VPBROADCASTW (SI), X5")
	f.i("VCVTPH2PS   X5, Y5")
	f.i("VFMADD231PS Y2, Y5, Y6")
}

// splitNibbles loads the 16 code bytes at off(SI) and leaves the low
// nibbles (values 0-15) in Y2, Y3 and the high ones (16-31) in Y0, Y1.
func splitNibbles(f *file, off int) {
	f.i("VPMOVZXBD   %d(SI), Y0", off)
	f.i("VPMOVZXBD   %d(SI), Y1", off+8)
	f.i("VPAND       Y8, Y0, Y2")
	f.i("VPAND       Y8, Y1, Y3")
	f.i("VPSRLD      $4, Y0, Y0")
	f.i("VPSRLD      $4, Y1, Y1")
}

// minAccQ41 adds m*xs_b of a Q4_1/Q5_1 block (m the f16 at 2(SI)) to X7.
func minAccQ41(f *file) {
	f.i("VPBROADCASTW 2(SI), X5")
	f.i("VCVTPH2PS   X5, X5")
	f.i("VFMADD231SS (R8), X5, X7")
	f.i("ADDQ $4, R8")
}

func avx2Q80(f *file) {
	avx2Head(f, "dotQ80AVX2", 0, `
Q8_0: 34-byte blocks {f16 d; int8 qs[32]}; returns Σ d*Σq*x (xs is
unused).`)
	loopHead(f, "q80loop", "q80done")
	for k := range 4 {
		f.i("VPMOVSXBD   %d(SI), Y%d", 2+8*k, k)
	}
	for k := range 4 {
		f.i("VCVTDQ2PS   Y%d, Y%d", k, k)
	}
	f.i("VMULPS      (DI), Y0, Y0")
	f.i("VMULPS      32(DI), Y1, Y1")
	f.i("VFMADD231PS 64(DI), Y2, Y0")
	f.i("VFMADD231PS 96(DI), Y3, Y1")
	f.i("VADDPS      Y1, Y0, Y0")
	f.i("VPBROADCASTW (SI), X5")
	f.i("VCVTPH2PS   X5, Y5")
	f.i("VFMADD231PS Y0, Y5, Y6")
	loopTail(f, "q80loop", "q80done", "$34, SI", "$128, DI")
	f.i("VADDPS      Y7, Y6, Y6")
	hsumY6(f)
	retX0(f)
}

func avx2Q40(f *file) {
	avx2Head(f, "dotQ40AVX2", 0, `
Q4_0: 18-byte blocks {f16 d; u8 qs[16]}: the low nibble of qs[j] is
value j, the high nibble value j+16; returns Σ d*Σ(q-8)*x (xs is
unused).`)
	nibbleMask(f)
	f.i("VPSRLD   $3, Y8, Y9        // 1")
	f.i("VPSLLD   $3, Y9, Y9        // 8")
	loopHead(f, "q40loop", "q40done")
	splitNibbles(f, 2)
	for _, r := range []int{2, 3, 0, 1} {
		f.i("VPSUBD      Y9, Y%d, Y%d", r, r)
	}
	block32Sum(f)
	loopTail(f, "q40loop", "q40done", "$18, SI", "$128, DI")
	f.i("VADDPS      Y7, Y6, Y6")
	hsumY6(f)
	retX0(f)
}

// kScalesMins unpacks the twelve 6-bit scale/min bytes of a Q4_K/Q5_K
// super-block (at 4(SI)), stores d*sc_j to 0..31(SP) and adds
// Σ dmin*m_j*xs_j to Y<mins>.
func kScalesMins(f *file, mins int) {
	f.raw(`
	MOVL  4(SI), AX
	MOVL  8(SI), BX
	MOVL  12(SI), DX
	MOVL  DX, R9
	SHRL  $4, R9
	ANDL  $0x0f0f0f0f, R9
	MOVL  BX, R10
	SHRL  $6, R10
	ANDL  $0x03030303, R10
	SHLL  $4, R10
	ORL   R10, R9             // mins 4-7
	MOVL  BX, R11
	ANDL  $0x3f3f3f3f, R11    // mins 0-3
	MOVL  DX, R12
	ANDL  $0x0f0f0f0f, R12
	MOVL  AX, R13
	SHRL  $6, R13
	ANDL  $0x03030303, R13
	SHLL  $4, R13
	ORL   R13, R12            // scales 4-7
	ANDL  $0x3f3f3f3f, AX     // scales 0-3
	SHLQ  $32, R12
	ORQ   AX, R12
	SHLQ  $32, R9
	ORQ   R11, R9
	MOVQ  R12, X2
	VPMOVZXBD X2, Y2
	VCVTDQ2PS Y2, Y2
	VPBROADCASTW (SI), X3
	VCVTPH2PS X3, Y3
	VMULPS Y3, Y2, Y2
	VMOVUPS Y2, 0(SP)
	MOVQ  R9, X2
	VPMOVZXBD X2, Y2
	VCVTDQ2PS Y2, Y2
	VPBROADCASTW 2(SI), X3
	VCVTPH2PS X3, Y3
	VMULPS Y3, Y2, Y2
`)
	f.i("VFMADD231PS (R8), Y2, Y%d", mins)
}

// kScaleAcc adds scale_lo*Y10 to Y6 and scale_hi*Y11 to acc, the scales
// of the 32-value group pair g stored at 8g(SP) and 8g+4(SP).
func kScaleAcc(f *file, g, acc int) {
	f.i("VBROADCASTSS %d(SP), Y5", 8*g)
	f.i("VFMADD231PS Y10, Y5, Y6")
	f.i("VBROADCASTSS %d(SP), Y5", 8*g+4)
	f.i("VFMADD231PS Y11, Y5, Y%d", acc)
}

// kDone folds the second accumulator into Y6 and returns Σ Y6 - Σ Y<mins>
// (scaled by the f32 bit pattern mul when it is not zero).
func kDone(f *file, acc2, mins int, mul uint32, mulNote string) {
	f.i("VADDPS      Y%d, Y6, Y6", acc2)
	hsumY6(f)
	f.i("VEXTRACTF128 $1, Y%d, X1", mins)
	f.i("VADDPS      X1, X%d, X1", mins)
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

func avx2Q4K(f *file) {
	avx2Head(f, "dotQ4KAVX2", 32, `
Q4_K: 144-byte super-blocks {f16 d, dmin; u8 scales[12]; u8 qs[128]}:
byte l of 32-byte group i holds value 64i+l (low nibble, sub-block 2i)
and 64i+32+l (high nibble, sub-block 2i+1). Returns
Σ_j d*sc_j*Σq*x - dmin*m_j*xs_j, xs the sums of x over the 32-value
sub-blocks. The 6-bit scales and mins are unpacked with 32-bit masks
into 8 bytes each, widened, converted and scaled in one go.`)
	f.i("VXORPS Y9, Y9, Y9")
	nibbleMask(f)
	loopHead(f, "q4kloop", "q4kdone")
	kScalesMins(f, 7)
	for g := range 4 {
		so, xo := 16+32*g, 256*g
		for k := range 4 {
			f.i("VPMOVZXBD   %d(SI), Y%d", so+8*k, k)
		}
		for k := range 4 {
			f.i("VPAND       Y8, Y%d, Y4", k)
			f.i("VCVTDQ2PS   Y4, Y4")
			mulAcc(f, k == 0, xo+32*k, 4, 10)
		}
		for k := range 4 {
			f.i("VPSRLD      $4, Y%d, Y%d", k, k)
			f.i("VCVTDQ2PS   Y%d, Y%d", k, k)
			mulAcc(f, k == 0, xo+128+32*k, k, 11)
		}
		kScaleAcc(f, g, 9)
	}
	loopTail(f, "q4kloop", "q4kdone", "$144, SI", "$1024, DI", "$32, R8")
	kDone(f, 9, 7, 0, "")
}

func avx2Q5K(f *file) {
	avx2Head(f, "dotQ5KAVX2", 32, `
Q5_K: 176-byte super-blocks {f16 d, dmin; u8 scales[12]; u8 qh[32];
u8 qs[128]}: nibbles and scales as Q4_K, plus 16 where bit 2i (low) or
2i+1 (high) of qh[l] is set. qh is widened and shifted left by 4 once
per block, so bit k sits at bit k+4 and (h >> k) & 16 is the fifth bit.`)
	f.i("VXORPS Y4, Y4, Y4")
	nibbleMask(f)
	f.i("VPCMPEQD Y9, Y9, Y9")
	f.i("VPSRLD   $31, Y9, Y9")
	f.i("VPSLLD   $4, Y9, Y9        // 0x10")
	loopHead(f, "q5kloop", "q5kdone")
	kScalesMins(f, 7)
	for k := range 4 {
		f.i("VPMOVZXBD   %d(SI), Y%d", 16+8*k, 12+k)
		f.i("VPSLLD      $4, Y%d, Y%d", 12+k, 12+k)
	}
	for g := range 4 {
		so, xo := 48+32*g, 256*g
		for hi := range 2 {
			bit := 2*g + hi
			for k := range 4 {
				f.i("VPMOVZXBD   %d(SI), Y0", so+8*k)
				if hi == 0 {
					f.i("VPAND       Y8, Y0, Y0")
				} else {
					f.i("VPSRLD      $4, Y0, Y0")
				}
				if bit == 0 {
					f.i("VPAND       Y9, Y%d, Y1", 12+k)
				} else {
					f.i("VPSRLD      $%d, Y%d, Y1", bit, 12+k)
					f.i("VPAND       Y9, Y1, Y1")
				}
				f.i("VPOR        Y1, Y0, Y0")
				f.i("VCVTDQ2PS   Y0, Y0")
				mulAcc(f, k == 0, xo+128*hi+32*k, 0, 10+hi)
			}
		}
		kScaleAcc(f, g, 4)
	}
	loopTail(f, "q5kloop", "q5kdone", "$176, SI", "$1024, DI", "$32, R8")
	kDone(f, 4, 7, 0, "")
}

// scaleAcc4 adds the products of the four 16-value sub-block sums in
// Y10-Y13 with their scales at 4j(SP), j = base, base+2, base+4, base+6,
// alternating between the accumulators Y6 and Y14.
func scaleAcc4(f *file, base int) {
	for v := range 4 {
		f.i("VBROADCASTSS %d(SP), Y5", 4*(base+2*v))
		acc := 6
		if v%2 == 1 {
			acc = 14
		}
		f.i("VFMADD231PS Y%d, Y5, Y%d", 10+v, acc)
	}
}

func avx2Q6K(f *file) {
	avx2Head(f, "dotQ6KAVX2", 64, `
Q6_K: 210-byte super-blocks {u8 ql[128]; u8 qh[64]; int8 scales[16];
f16 d}, two halves of 128 values: for l < 32, a = ql[64h+l], b =
ql[64h+32+l], c = qh[32h+l], the codes of values 128h+l, +32, +64, +96
are a&15 | (c&3)<<4, b&15 | (c>>2&3)<<4, a>>4 | (c>>4&3)<<4 and
b>>4 | (c>>6)<<4: (c<<4)&48, (c<<2)&48, c&48 and (c>>2)&48 give the
high parts. Returns Σ_j d*sc_j*(Σq*x - 32*xs_j) over the 16-value
sub-blocks, xs their sums of x.`)
	f.i("VXORPS Y14, Y14, Y14")
	nibbleMask(f)
	f.i("VPCMPEQD Y9, Y9, Y9")
	f.i("VPSRLD   $30, Y9, Y9       // 3")
	f.i("VPSLLD   $4, Y9, Y9        // 0x30")
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
	VFMADD231PS (R8), Y0, Y7
	VFMADD231PS 32(R8), Y1, Y7
`)
	for h := range 2 {
		for p := range 2 {
			for c := range 2 {
				q := 2*p + c
				x := 512*h + 32*q
				f.i("VPMOVZXBD   %d(SI), Y0", 64*h+8*q)
				f.i("VPMOVZXBD   %d(SI), Y1", 64*h+32+8*q)
				f.i("VPMOVZXBD   %d(SI), Y2", 128+32*h+8*q)
				f.i("VPAND       Y8, Y0, Y3")
				f.i("VPSLLD      $4, Y2, Y4")
				f.i("VPAND       Y9, Y4, Y4")
				f.i("VPOR        Y4, Y3, Y3")
				f.i("VCVTDQ2PS   Y3, Y3")
				mulAcc(f, c == 0, x, 3, 10)
				f.i("VPAND       Y8, Y1, Y3")
				f.i("VPSLLD      $2, Y2, Y4")
				f.i("VPAND       Y9, Y4, Y4")
				f.i("VPOR        Y4, Y3, Y3")
				f.i("VCVTDQ2PS   Y3, Y3")
				mulAcc(f, c == 0, x+128, 3, 11)
				f.i("VPSRLD      $4, Y0, Y3")
				f.i("VPAND       Y9, Y2, Y4")
				f.i("VPOR        Y4, Y3, Y3")
				f.i("VCVTDQ2PS   Y3, Y3")
				mulAcc(f, c == 0, x+256, 3, 12)
				f.i("VPSRLD      $4, Y1, Y3")
				f.i("VPSRLD      $2, Y2, Y4")
				f.i("VPAND       Y9, Y4, Y4")
				f.i("VPOR        Y4, Y3, Y3")
				f.i("VCVTDQ2PS   Y3, Y3")
				mulAcc(f, c == 0, x+384, 3, 13)
			}
			scaleAcc4(f, 8*h+p)
		}
	}
	loopTail(f, "q6kloop", "q6kdone", "$210, SI", "$1024, DI", "$64, R8")
	kDone(f, 14, 7, 0x42000000, "32.0")
}

func avx2Q41(f *file) {
	avx2Head(f, "dotQ41AVX2", 0, `
Q4_1: 20-byte blocks {f16 d, m; u8 qs[16]}: Σ d*Σq*x + m*xs_b, xs the
block sums of x.`)
	nibbleMask(f)
	f.i("VXORPS   X7, X7, X7")
	loopHead(f, "dotQ41AVX2loop", "dotQ41AVX2done")
	splitNibbles(f, 4)
	block32Sum(f)
	minAccQ41(f)
	loopTail(f, "dotQ41AVX2loop", "dotQ41AVX2done", "$20, SI", "$128, DI")
	hsumY6(f)
	f.i("VADDSS      X7, X0, X0")
	retX0(f)
}

// q5High ORs bit j of the broadcast qh (Y4) into bit 4 of the codes of
// the four parts (Y2, Y3, Y0, Y1), Y10 holding 1 in every lane.
func q5High(f *file, table string) {
	for k, r := range []int{2, 3, 0, 1} {
		f.i("VPSRLVD     %s+%d(SB), Y4, Y5", table, 32*k)
		f.i("VPAND       Y10, Y5, Y5")
		f.i("VPSLLD      $4, Y5, Y5")
		f.i("VPOR        Y5, Y%d, Y%d", r, r)
	}
}

func avx2Q50(f *file) {
	avx2Head(f, "dotQ50AVX2", 0, `
Q5_0: 22-byte blocks {f16 d; u32 qh; u8 qs[16]}: code j is its nibble
(as Q4_0) | bit j of qh << 4, value d*(code-16); qh is broadcast and
each lane shifted by its value index (VPSRLVD). xs is unused.`)
	nibbleMask(f)
	f.i("VPCMPEQD Y9, Y9, Y9")
	f.i("VPSRLD   $31, Y9, Y9")
	f.i("VPSLLD   $4, Y9, Y9    // 16")
	f.i("VPCMPEQD Y10, Y10, Y10")
	f.i("VPSRLD   $31, Y10, Y10      // 1")
	loopHead(f, "dotQ50AVX2loop", "dotQ50AVX2done")
	splitNibbles(f, 6)
	f.i("VPBROADCASTD 2(SI), Y4")
	q5High(f, "q5shifts<>")
	for _, r := range []int{2, 3, 0, 1} {
		f.i("VPSUBD      Y9, Y%d, Y%d", r, r)
	}
	block32Sum(f)
	loopTail(f, "dotQ50AVX2loop", "dotQ50AVX2done", "$22, SI", "$128, DI")
	hsumY6(f)
	retX0(f)
}

func avx2Q51(f *file) {
	avx2Head(f, "dotQ51AVX2", 0, `
Q5_1: 24-byte blocks {f16 d, m; u32 qh; u8 qs[16]}: codes as Q5_0,
value d*code + m; Σ d*Σq*x + m*xs_b.`)
	nibbleMask(f)
	f.i("VPCMPEQD Y10, Y10, Y10")
	f.i("VPSRLD   $31, Y10, Y10      // 1")
	f.i("VXORPS   X7, X7, X7")
	loopHead(f, "dotQ51AVX2loop", "dotQ51AVX2done")
	splitNibbles(f, 8)
	f.i("VPBROADCASTD 4(SI), Y4")
	q5High(f, "q5shifts<>")
	block32Sum(f)
	minAccQ41(f)
	loopTail(f, "dotQ51AVX2loop", "dotQ51AVX2done", "$24, SI", "$128, DI")
	hsumY6(f)
	f.i("VADDSS      X7, X0, X0")
	retX0(f)
}

func avx2IQ4NL(f *file) {
	avx2Head(f, "dotIQ4NLAVX2", 0, `
IQ4_NL: 18-byte blocks {f16 d; u8 qs[16]}, nibbles as Q4_0 indexing a
16-entry int8 codebook, looked up with VPSHUFB. xs is unused.`)
	nibbleMask(f)
	f.raw(`
	VMOVDQU  iq4nlValues<>(SB), X11
	VPCMPEQB X12, X12, X12
	VPSRLW   $12, X12, X12      // 0x000f words
	VPACKUSWB X12, X12, X12     // 0x0f bytes
`)
	loopHead(f, "dotIQ4NLAVX2loop", "dotIQ4NLAVX2done")
	f.raw(`
	VMOVDQU     2(SI), X0
	VPSRLW      $4, X0, X1
	VPAND       X12, X0, X0
	VPAND       X12, X1, X1
	VPSHUFB     X0, X11, X0     // values 0-15 as int8
	VPSHUFB     X1, X11, X1     // values 16-31
	VPMOVSXBD   X0, Y2
	VPSRLDQ     $8, X0, X0
	VPMOVSXBD   X0, Y3
	VPMOVSXBD   X1, Y0
	VPSRLDQ     $8, X1, X1
	VPMOVSXBD   X1, Y1
`)
	block32Sum(f)
	loopTail(f, "dotIQ4NLAVX2loop", "dotIQ4NLAVX2done", "$18, SI", "$128, DI")
	hsumY6(f)
	retX0(f)
}

func avx2Q2K(f *file) {
	avx2Head(f, "dotQ2KAVX2", 64, `
Q2_K: 84-byte super-blocks {u8 scales[16]; u8 qs[64]; f16 d, dmin}:
sub-block j (16 values) has scale d*(scales[j]&15) and min
dmin*(scales[j]>>4); value 128n+32k+16h+l has code
(qs[32n+16h+l] >> 2k) & 3 in sub-block 8n+2k+h. Returns
Σ_j scale_j*Σq*x - min_j*xs_j.`)
	f.i("VXORPS Y14, Y14, Y14")
	f.i("VXORPS Y15, Y15, Y15")
	f.i("VPCMPEQD Y9, Y9, Y9")
	f.i("VPSRLD   $30, Y9, Y9       // 3")
	f.i("VPCMPEQD Y8, Y8, Y8")
	f.i("VPSRLD   $28, Y8, Y8       // 0x0f")
	loopHead(f, "dotQ2KAVX2loop", "dotQ2KAVX2done")
	f.i("VPBROADCASTW 80(SI), X3")
	f.i("VCVTPH2PS X3, Y3            // d")
	f.i("VPBROADCASTW 82(SI), X4")
	f.i("VCVTPH2PS X4, Y4            // dmin")
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
			for c := range 2 {
				x := 512*n + 64*p + 32*c
				f.i("VPMOVZXBD   %d(SI), Y0", 16+32*n+16*p+8*c)
				for k := range 4 {
					if k == 0 {
						f.i("VPAND       Y9, Y0, Y1")
					} else {
						f.i("VPSRLD      $%d, Y0, Y1", 2*k)
						f.i("VPAND       Y9, Y1, Y1")
					}
					f.i("VCVTDQ2PS   Y1, Y1")
					mulAcc(f, c == 0, x+128*k, 1, 10+k)
				}
			}
			scaleAcc4(f, 8*n+p)
		}
	}
	loopTail(f, "dotQ2KAVX2loop", "dotQ2KAVX2done", "$84, SI", "$1024, DI", "$64, R8")
	kDone(f, 14, 15, 0, "")
}

func avx2Q3K(f *file) {
	avx2Head(f, "dotQ3KAVX2", 64, `
Q3_K: 110-byte super-blocks {u8 hmask[32]; u8 qs[64]; u8 scales[12];
f16 d}: two code bits as Q2_K plus bit 4n+k of hmask[16h+l] as the
third (u in 0..7), sixteen 6-bit scales (unpacked with 32-bit masks,
minus 32); returns Σ_j d*sc_j*(Σu*x - 4*xs_j).`)
	f.i("VXORPS Y14, Y14, Y14")
	f.i("VXORPS Y15, Y15, Y15")
	f.i("VPCMPEQD Y9, Y9, Y9")
	f.i("VPSRLD   $30, Y9, Y9       // 3")
	f.i("VPSRLD   $1, Y9, Y8")
	f.i("VPSLLD   $2, Y8, Y8        // 4")
	f.i("VPSLLD   $3, Y8, Y7        // 32")
	loopHead(f, "dotQ3KAVX2loop", "dotQ3KAVX2done")
	q3kScales(f, "          // tmp")
	q3kScaleStore(f, 7)
	for n := range 2 {
		for p := range 2 {
			for c := range 2 {
				x := 512*n + 64*p + 32*c
				f.i("VPMOVZXBD   %d(SI), Y0", 32+32*n+16*p+8*c)
				f.i("VPMOVZXBD   %d(SI), Y4", 16*p+8*c)
				f.i("VPSLLD      $2, Y4, Y4")
				for k := range 4 {
					if k == 0 {
						f.i("VPAND       Y9, Y0, Y1")
					} else {
						f.i("VPSRLD      $%d, Y0, Y1", 2*k)
						f.i("VPAND       Y9, Y1, Y1")
					}
					if s := 4*n + k; s == 0 {
						f.i("VPAND       Y8, Y4, Y2")
					} else {
						f.i("VPSRLD      $%d, Y4, Y2", s)
						f.i("VPAND       Y8, Y2, Y2")
					}
					f.i("VPOR        Y2, Y1, Y1")
					f.i("VCVTDQ2PS   Y1, Y1")
					mulAcc(f, c == 0, x+128*k, 1, 10+k)
				}
			}
			scaleAcc4(f, 8*n+p)
		}
	}
	loopTail(f, "dotQ3KAVX2loop", "dotQ3KAVX2done", "$110, SI", "$1024, DI", "$64, R8")
	kDone(f, 14, 15, 0x40800000, "4.0")
}

// q3kScales unpacks the sixteen 6-bit Q3_K scales (at 96(SI)) into the
// bytes of BX (sub-blocks 0-7) and R11 (8-15), and loads d into Y3.
func q3kScales(f *file, tmpNote string) {
	f.raw(`
	MOVL  96(SI), AX
	MOVL  100(SI), BX
`)
	f.i("MOVL  104(SI), DX%s", tmpNote)
	f.raw(`
	MOVL  AX, R9
	SHRL  $4, R9
	ANDL  $0x0f0f0f0f, R9
	MOVL  DX, R10
	SHRL  $4, R10
	ANDL  $0x03030303, R10
	SHLL  $4, R10
	ORL   R10, R9              // aux2
	MOVL  BX, R11
	SHRL  $4, R11
	ANDL  $0x0f0f0f0f, R11
	MOVL  DX, R10
	SHRL  $6, R10
	ANDL  $0x03030303, R10
	SHLL  $4, R10
	ORL   R10, R11             // aux3
	ANDL  $0x0f0f0f0f, AX
	MOVL  DX, R10
	ANDL  $0x03030303, R10
	SHLL  $4, R10
	ORL   R10, AX              // aux0
	ANDL  $0x0f0f0f0f, BX
	MOVL  DX, R10
	SHRL  $2, R10
	ANDL  $0x03030303, R10
	SHLL  $4, R10
	ORL   R10, BX              // aux1
	SHLQ  $32, BX
	ORQ   AX, BX
	SHLQ  $32, R11
	ORQ   R9, R11
	VPBROADCASTW 108(SI), X3
	VCVTPH2PS X3, Y3
`)
}

// q3kScaleStore subtracts 32 (in Y<c32>) from the unpacked Q3_K scales,
// stores d*sc_j to 0..63(SP) and adds Σ d*sc_j*xs_j to Y15.
func q3kScaleStore(f *file, c32 int) {
	for s, r := range []string{"BX", "R11"} {
		f.i("MOVQ  %s, X2", r)
		f.i("VPMOVZXBD X2, Y%d", s)
		f.i("VPSUBD Y%d, Y%d, Y%d", c32, s, s)
		f.i("VCVTDQ2PS Y%d, Y%d", s, s)
		f.i("VMULPS Y3, Y%d, Y%d", s, s)
		f.i("VMOVUPS Y%d, %d(SP)", s, 32*s)
		f.i("VFMADD231PS %d(R8), Y%d, Y15", 32*s, s)
	}
}
