package main

// gemmMaxC is the most inputs one GEMM micro-kernel call multiplies:
// the two-panel kernels keep 2*C int32 and 2*C float32 accumulators,
// C broadcast codes, two code vectors and six scale registers in the 32
// zmm registers.
const gemmMaxC = 4

// intGEMM writes int_gemm_amd64.s: the AVX-512 VNNI int8 GEMM of
// Q4_0 / Q8_0 weights (see intGEMM in int_gemm.go). A repacking kernel
// turns 16 weight rows into a panel whose every zmm holds four codes of
// each of the 16 rows (one per 32-bit lane), unsigned; the micro-kernels
// multiply two panels (gemmKernel2) or one (gemmKernel, the last rows)
// with C = 1..4 packed inputs, so every weight vector loaded serves C
// inputs, every broadcast input dword two panels, and every block's
// integer sums of 16 rows are converted and scaled once.
func intGEMM() string {
	f := &file{}
	f.raw(`
//go:build amd64 && !noasm

// The int8 GEMM of Q4_0 and Q8_0 weights (intGEMM in int_gemm.go, which
// documents the panel and input layouts).

#include "textflag.h"

`)
	f.comment("Dword lane indices 0..15 (the gathers' row numbers).")
	iota := make([]uint64, 8)
	for i := range iota {
		iota[i] = uint64(2*i) | uint64(2*i+1)<<32
	}
	data(f, "gemmiota", iota)
	f.comment(`
VPERMT2D indices over four rows' code dwords (row q at 4q..4q+3) and
the next four's (16+...): dwords j and j+1 of the eight rows in lanes
0-7 and 8-15 (j = 0, then 2).`)
	for _, j := range []int{0, 2} {
		idx := make([]uint64, 8)
		for l := range 16 {
			row, dw := l%8, j+l/8
			v := uint64(4*(row%4) + dw)
			if row >= 4 {
				v += 16
			}
			idx[l/2] |= v << (32 * (l % 2))
		}
		data(f, sprintf("gemmt%d", j), idx)
	}
	gemmRepackQ40(f)
	gemmQ80Tables(f)
	gemmRepackQ80(f)
	quantizeQ8(f)
	for c := 1; c <= gemmMaxC; c++ {
		gemmKernel(f, c)
	}
	for c := 1; c <= gemmMaxC; c++ {
		gemmKernel2(f, c)
	}
	return f.text()
}

// gemmRepackQ40 writes repackQ40x16, the Q4_0 panel (intGEMM in int_gemm.go) with
// the codes fetched by 16-byte loads (four rows per zmm) and transposed
// with two VPERMT2D and one VSHUFI64X2 per four dwords; only the scales
// are gathered.
func gemmRepackQ40(f *file) {
	name := "repackQ40x16"
	f.line("// func %s(rows *byte, stride, nb int, panel *byte)", name)
	f.line("TEXT ·%s(SB), NOSPLIT, $0-32", name)
	f.i("MOVQ         rows+0(FP), SI")
	f.i("MOVQ         stride+8(FP), BX")
	f.i("MOVQ         nb+16(FP), CX")
	f.i("MOVQ         panel+24(FP), DI")
	f.i("VPBROADCASTD BX, Z20")
	f.i("VPMULLD      gemmiota<>(SB), Z20, Z20")
	f.i("MOVL         $0x0f0f0f0f, AX")
	f.i("VPBROADCASTD AX, Z21")
	f.i("VMOVDQU32    gemmt0<>(SB), Z22")
	f.i("VMOVDQU32    gemmt2<>(SB), Z23")
	f.i("LEAQ         (BX)(BX*2), R9")
	f.i("LEAQ         (SI)(BX*4), R10")
	f.i("LEAQ         (R10)(BX*4), R11")
	f.i("LEAQ         (R11)(BX*4), R12")
	f.label(name + "loop")
	f.i("KXNORW       K1, K1, K1")
	f.i("VPXORD       Z0, Z0, Z0")
	f.i("VPGATHERDD   (SI)(Z20*1), K1, Z0")
	for q, p := range []string{"SI", "R10", "R11", "R12"} {
		z := 1 + q
		f.i("VMOVDQU      2(%s), X%d", p, z)
		f.i("VINSERTI32X4 $1, 2(%s)(BX*1), Z%d, Z%d", p, z, z)
		f.i("VINSERTI32X4 $2, 2(%s)(BX*2), Z%d, Z%d", p, z, z)
		f.i("VINSERTI32X4 $3, 2(%s)(R9*1), Z%d, Z%d", p, z, z)
	}
	f.i("// Rows 0-7 (Z1, Z2) into Z5 (dwords 0, 1) and Z6 (2, 3); 8-15 into Z7, Z8.")
	f.i("VMOVDQA32    Z22, Z5")
	f.i("VPERMI2D     Z2, Z1, Z5")
	f.i("VMOVDQA32    Z23, Z6")
	f.i("VPERMI2D     Z2, Z1, Z6")
	f.i("VMOVDQA32    Z22, Z7")
	f.i("VPERMI2D     Z4, Z3, Z7")
	f.i("VMOVDQA32    Z23, Z8")
	f.i("VPERMI2D     Z4, Z3, Z8")
	f.i("VSHUFI64X2   $0x44, Z7, Z5, Z1")
	f.i("VSHUFI64X2   $0xee, Z7, Z5, Z2")
	f.i("VSHUFI64X2   $0x44, Z8, Z6, Z3")
	f.i("VSHUFI64X2   $0xee, Z8, Z6, Z4")
	f.i("VPMOVDW      Z0, Y0")
	f.i("VCVTPH2PS    Y0, Z0")
	f.i("VMOVUPS      Z0, (DI)")
	for j := range 4 {
		z := sprintf("Z%d", 1+j)
		f.i("VPSRLW       $4, %s, Z%d", z, 10+j)
		f.i("VPANDD       Z21, %s, %s", z, z)
		f.i("VPANDD       Z21, Z%d, Z%d", 10+j, 10+j)
		f.i("VMOVDQU32    %s, %d(DI)", z, 64+64*j)
		f.i("VMOVDQU32    Z%d, %d(DI)", 10+j, 64+64*(j+4))
	}
	for _, p := range []string{"SI", "R10", "R11", "R12"} {
		f.i("ADDQ         $18, %s", p)
	}
	f.i("ADDQ         $576, DI")
	f.i("DECQ         CX")
	f.i("JNZ          %sloop", name)
	f.i("VZEROUPPER")
	f.i("RET")
	f.line("")
}

// gemmQ80Tables writes the VPERMI2D indices of repackQ80x16's
// transposition of 16 rows of 8 code dwords: level 1 takes four rows
// (two per table, row 2p+i's dword j at 8i+j) to dwords 0-3 (gemmq1a)
// or 4-7 (gemmq1b) of the four, lane 4j+row; level 2 takes two such
// (rows 0-3 and 4-7 of one half) to dwords 0-1 (gemmq2a) or 2-3
// (gemmq2b) of the eight rows, lane 8j+row.
func gemmQ80Tables(f *file) {
	f.comment("repackQ80x16's transposition (see gemmQ80Tables in the generator).")
	for h, name := range []string{"gemmq1a", "gemmq1b"} {
		idx := make([]uint64, 8)
		for l := range 16 {
			j, row := 4*h+l/4, l%4
			v := uint64(8*(row%2) + j)
			if row >= 2 {
				v += 16
			}
			idx[l/2] |= v << (32 * (l % 2))
		}
		data(f, name, idx)
	}
	for s, name := range []string{"gemmq2a", "gemmq2b"} {
		idx := make([]uint64, 8)
		for l := range 16 {
			j, row := 2*s+l/8, l%8
			v := uint64(4*j + row%4)
			if row >= 4 {
				v += 16
			}
			idx[l/2] |= v << (32 * (l % 2))
		}
		data(f, name, idx)
	}
}

// gemmRepackQ80 writes repackQ80x16, the Q8_0 panel with
// the codes fetched by 32-byte loads (two rows per zmm) and transposed
// in three levels (gemmQ80Tables, then VSHUFI64X2); only the scales are
// gathered.
func gemmRepackQ80(f *file) {
	name := "repackQ80x16"
	f.line("// func %s(rows *byte, stride, nb int, panel *byte)", name)
	f.line("TEXT ·%s(SB), NOSPLIT, $0-32", name)
	f.i("MOVQ         rows+0(FP), SI")
	f.i("MOVQ         stride+8(FP), BX")
	f.i("MOVQ         nb+16(FP), CX")
	f.i("MOVQ         panel+24(FP), DI")
	f.i("VPBROADCASTD BX, Z20")
	f.i("VPMULLD      gemmiota<>(SB), Z20, Z20")
	f.i("MOVL         $0x80808080, AX")
	f.i("VPBROADCASTD AX, Z21")
	f.i("VMOVDQU32    gemmq1a<>(SB), Z22")
	f.i("VMOVDQU32    gemmq1b<>(SB), Z23")
	f.i("VMOVDQU32    gemmq2a<>(SB), Z24")
	f.i("VMOVDQU32    gemmq2b<>(SB), Z25")
	f.i("LEAQ         (BX)(BX*2), R9")
	f.i("LEAQ         (SI)(BX*4), R10")
	f.i("LEAQ         (R10)(BX*4), R11")
	f.i("LEAQ         (R11)(BX*4), R12")
	f.label(name + "loop")
	f.i("KXNORW       K1, K1, K1")
	f.i("VPXORD       Z0, Z0, Z0")
	f.i("VPGATHERDD   (SI)(Z20*1), K1, Z0")
	f.i("// Z1..Z8: rows 2p and 2p+1 (p = 0..7), 8 code dwords each.")
	for q, p := range []string{"SI", "R10", "R11", "R12"} {
		a, b := 1+2*q, 2+2*q
		f.i("VMOVDQU      2(%s), Y%d", p, a)
		f.i("VINSERTI64X4 $1, 2(%s)(BX*1), Z%d, Z%d", p, a, a)
		f.i("VMOVDQU      2(%s)(BX*2), Y%d", p, b)
		f.i("VINSERTI64X4 $1, 2(%s)(R9*1), Z%d, Z%d", p, b, b)
	}
	f.i("// Level 1: rows 4q..4q+3 into Z9+2q (dwords 0-3) and Z10+2q (4-7).")
	for q := range 4 {
		a, b := 1+2*q, 2+2*q
		f.i("VMOVDQA32    Z22, Z%d", 9+2*q)
		f.i("VPERMI2D     Z%d, Z%d, Z%d", b, a, 9+2*q)
		f.i("VMOVDQA32    Z23, Z%d", 10+2*q)
		f.i("VPERMI2D     Z%d, Z%d, Z%d", b, a, 10+2*q)
	}
	f.i("// Level 2: rows 8g..8g+7, dwords 4h+2s, 4h+2s+1 into Z1 + 4g + 2h + s.")
	for g := range 2 {
		for h := range 2 {
			lo, hi := 9+4*g+h, 11+4*g+h // rows 8g..8g+3 and 8g+4..8g+7, half h
			for s2, idx := range []string{"Z24", "Z25"} {
				d := 1 + 4*g + 2*h + s2
				f.i("VMOVDQA32    %s, Z%d", idx, d)
				f.i("VPERMI2D     Z%d, Z%d, Z%d", hi, lo, d)
			}
		}
	}
	f.i("VPMOVDW      Z0, Y0")
	f.i("VCVTPH2PS    Y0, Z0")
	f.i("VMOVUPS      Z0, (DI)")
	f.i("// Level 3: dword j = 4h + 2s + t, rows 0-7 from Z1+2h+s, 8-15 from Z5+2h+s.")
	for j := range 8 {
		h, s2, t := j/4, (j/2)%2, j%2
		imm := "0x44"
		if t == 1 {
			imm = "0xee"
		}
		f.i("VSHUFI64X2   $%s, Z%d, Z%d, Z%d", imm, 5+2*h+s2, 1+2*h+s2, 9+j)
		f.i("VPXORD       Z21, Z%d, Z%d", 9+j, 9+j)
		f.i("VMOVDQU32    Z%d, %d(DI)", 9+j, 64+64*j)
	}
	for _, p := range []string{"SI", "R10", "R11", "R12"} {
		f.i("ADDQ         $34, %s", p)
	}
	f.i("ADDQ         $576, DI")
	f.i("DECQ         CX")
	f.i("JNZ          %sloop", name)
	f.i("VZEROUPPER")
	f.i("RET")
	f.line("")
}

// gemmArgs writes the header of a GEMM micro-kernel (both tile shapes
// take the same arguments) and loads its arguments but pf: SI panel, DI
// act, CX nb, DX y, R8 yStride in bytes, K1 the mask's low 16 bits (AX
// the mask).
func gemmArgs(f *file, name string) {
	f.line("// func %s(panel, act *byte, nb int, y *float32, yStride, mask int, pf *byte)", name)
	f.line("TEXT ·%s(SB), NOSPLIT, $0-56", name)
	f.i("MOVQ         panel+0(FP), SI")
	f.i("MOVQ         act+8(FP), DI")
	f.i("MOVQ         nb+16(FP), CX")
	f.i("MOVQ         y+24(FP), DX")
	f.i("MOVQ         yStride+32(FP), R8")
	f.i("SHLQ         $2, R8")
	f.i("MOVQ         mask+40(FP), AX")
	f.i("KMOVW        AX, K1")
}

// gemmKernel writes gemmU8C<c>: one panel of nb blocks times c packed
// inputs (per block 40*c bytes: the c inputs' 32 codes, their int32
// initial sums, their float32 scales), the 16 rows' dots with input i
// stored (under the row mask) at y + i*yStride floats. It prefetches
// 128*nb bytes from pf into L2 on the way (the weight rows of the next
// panel, which its repack would otherwise wait on). Registers: Z0-Z7
// a block's code vectors, Z8.. the int32 sums of the c inputs, Z16.. their
// float32 accumulators.
func gemmKernel(f *file, c int) {
	name := sprintf("gemmU8C%d", c)
	gemmArgs(f, name)
	f.i("MOVQ         pf+48(FP), R9")
	for i := range c {
		f.i("VPXORD       Z%d, Z%d, Z%d", 16+i, 16+i, 16+i)
	}
	f.label(name + "loop")
	f.i("PREFETCHT1   (R9)")
	f.i("PREFETCHT1   64(R9)")
	for j := range 8 {
		f.i("VMOVDQU32    %d(SI), Z%d", 64+64*j, j)
	}
	for i := range c {
		f.i("VPBROADCASTD %d(DI), Z%d", 32*c+4*i, 8+i)
	}
	for j := range 8 {
		for i := range c {
			f.i("VPDPBUSD.BCST %d(DI), Z%d, Z%d", 32*i+4*j, j, 8+i)
		}
	}
	for i := range c {
		f.i("VCVTDQ2PS    Z%d, Z%d", 8+i, 8+i)
		f.i("VMULPS.BCST  %d(DI), Z%d, Z%d", 36*c+4*i, 8+i, 8+i)
		f.i("VFMADD231PS  (SI), Z%d, Z%d", 8+i, 16+i)
	}
	f.i("ADDQ         $576, SI")
	f.i("ADDQ         $%d, DI", 40*c)
	f.i("ADDQ         $128, R9")
	f.i("DECQ         CX")
	f.i("JNZ          %sloop", name)
	for i := range c {
		if i > 0 {
			f.i("ADDQ         R8, DX")
		}
		f.i("VMOVUPS      Z%d, K1, (DX)", 16+i)
	}
	f.i("VZEROUPPER")
	f.i("RET")
	f.line("")
}

// gemmKernel2 writes gemm2U8C<c>: two panels of nb blocks (32 rows; the
// second panel follows the first, nb*576 bytes on) times c packed
// inputs, the 32 rows' dots with input i stored under the row mask (bit
// r: row r) at y + i*yStride floats. Per block and dword j it loads the
// two panels' code vectors and broadcasts each input's dword into a
// register once, for two VPDPBUSD each: 2+c loads per 2*c VPDPBUSD,
// where gemmKernel's one-panel tiles take 1+c loads per c (each
// VPDPBUSD broadcasting from memory), which bound it on the load ports
// at about 60% of the VPDPBUSD rate. It prefetches 256*nb bytes from pf
// into L2 on the way. Registers: Z0, Z1 the code vectors, Z4.. the
// broadcast codes, Z8+4h+i the int32 sums of panel h and input i,
// Z16+4h+i their float32 accumulators, Z24, Z25 the panels' scales,
// Z26 an input's scale, Z27, Z28 their products.
func gemmKernel2(f *file, c int) {
	name := sprintf("gemm2U8C%d", c)
	gemmArgs(f, name)
	f.i("SHRQ         $16, AX")
	f.i("KMOVW        AX, K2")
	f.i("MOVQ         pf+48(FP), R9")
	f.i("IMUL3Q       $576, CX, R10")
	f.i("ADDQ         SI, R10")
	for h := range 2 {
		for i := range c {
			z := 16 + 4*h + i
			f.i("VPXORD       Z%d, Z%d, Z%d", z, z, z)
		}
	}
	f.label(name + "loop")
	for l := range 4 {
		f.i("PREFETCHT1   %d(R9)", 64*l)
	}
	for i := range c {
		f.i("VPBROADCASTD %d(DI), Z%d", 32*c+4*i, 8+i)
		f.i("VMOVDQA32    Z%d, Z%d", 8+i, 12+i)
	}
	for j := range 8 {
		f.i("VMOVDQU32    %d(SI), Z0", 64+64*j)
		f.i("VMOVDQU32    %d(R10), Z1", 64+64*j)
		for i := range c {
			f.i("VPBROADCASTD %d(DI), Z%d", 32*i+4*j, 4+i)
		}
		for i := range c {
			f.i("VPDPBUSD     Z%d, Z0, Z%d", 4+i, 8+i)
			f.i("VPDPBUSD     Z%d, Z1, Z%d", 4+i, 12+i)
		}
	}
	f.i("VMOVUPS      (SI), Z24")
	f.i("VMOVUPS      (R10), Z25")
	for i := range c {
		f.i("VBROADCASTSS %d(DI), Z26", 36*c+4*i)
		f.i("VMULPS       Z26, Z24, Z27")
		f.i("VMULPS       Z26, Z25, Z28")
		f.i("VCVTDQ2PS    Z%d, Z%d", 8+i, 8+i)
		f.i("VCVTDQ2PS    Z%d, Z%d", 12+i, 12+i)
		f.i("VFMADD231PS  Z27, Z%d, Z%d", 8+i, 16+i)
		f.i("VFMADD231PS  Z28, Z%d, Z%d", 12+i, 20+i)
	}
	f.i("ADDQ         $576, SI")
	f.i("ADDQ         $576, R10")
	f.i("ADDQ         $%d, DI", 40*c)
	f.i("ADDQ         $256, R9")
	f.i("DECQ         CX")
	f.i("JNZ          %sloop", name)
	for i := range c {
		if i > 0 {
			f.i("ADDQ         R8, DX")
		}
		f.i("VMOVUPS      Z%d, K1, (DX)", 16+i)
		f.i("VMOVUPS      Z%d, K2, 64(DX)", 20+i)
	}
	f.i("VZEROUPPER")
	f.i("RET")
	f.line("")
}

// quantizeQ8 writes quantizeQ8AVX512, quantizeQ8Row (act_q8.go) for
// AVX-512: per block of 32 the largest |x| as bits (integer max, so a
// NaN sorts above infinity as in the Go code), d = amax/127, codes
// round(x*(127/amax)) to nearest even (VCVTPS2DQ under the default
// rounding), clamped to ±127, and their sum. Blocks whose amax is not
// finite get d = NaN, those whose amax is zero or so small that 127/amax
// overflows get d = 0; both zero codes and sum.
func quantizeQ8(f *file) {
	name := "quantizeQ8AVX512"
	f.line("// func %s(x *float32, nb int, qs *int8, d *float32, sum *int32)", name)
	f.line("TEXT ·%s(SB), NOSPLIT, $0-40", name)
	f.i("MOVQ         x+0(FP), SI")
	f.i("MOVQ         nb+8(FP), CX")
	f.i("MOVQ         qs+16(FP), DI")
	f.i("MOVQ         d+24(FP), R8")
	f.i("MOVQ         sum+32(FP), R9")
	f.i("MOVL         $0x7fffffff, AX")
	f.i("VPBROADCASTD AX, Z31")
	f.i("MOVL         $127, AX")
	f.i("VPBROADCASTD AX, Z29")
	f.i("MOVL         $-127, AX")
	f.i("VPBROADCASTD AX, Z28")
	f.i("MOVL         $0x42fe0000, AX") // 127.0
	f.i("VMOVD        AX, X30")
	f.i("TESTQ        CX, CX")
	f.i("JZ           %sdone", name)
	f.label(name + "loop")
	f.i("VMOVUPS      (SI), Z0")
	f.i("VMOVUPS      64(SI), Z1")
	f.i("VPANDD       Z31, Z0, Z2")
	f.i("VPANDD       Z31, Z1, Z3")
	f.i("VPMAXUD      Z3, Z2, Z2")
	f.i("VEXTRACTI64X4 $1, Z2, Y3")
	f.i("VPMAXUD      Y3, Y2, Y2")
	f.i("VEXTRACTI128 $1, Y2, X3")
	f.i("VPMAXUD      X3, X2, X2")
	f.i("VPSHUFD      $0x4e, X2, X3")
	f.i("VPMAXUD      X3, X2, X2")
	f.i("VPSHUFD      $0xb1, X2, X3")
	f.i("VPMAXUD      X3, X2, X2")
	f.i("VMOVD        X2, AX")
	f.i("CMPL         AX, $0x7f7fffff")
	f.i("JHI          %snan", name)
	f.i("VDIVSS       X2, X30, X4")
	f.i("VMOVD        X4, AX")
	f.i("CMPL         AX, $0x7f800000")
	f.i("JEQ          %szero", name) // amax zero (127/0 = +Inf) or tiny
	f.i("VDIVSS       X30, X2, X5")
	f.i("VMOVSS       X5, (R8)")
	f.i("VBROADCASTSS X4, Z4")
	f.i("VMULPS       Z4, Z0, Z0")
	f.i("VMULPS       Z4, Z1, Z1")
	f.i("VCVTPS2DQ    Z0, Z0")
	f.i("VCVTPS2DQ    Z1, Z1")
	f.i("VPMINSD      Z29, Z0, Z0")
	f.i("VPMINSD      Z29, Z1, Z1")
	f.i("VPMAXSD      Z28, Z0, Z0")
	f.i("VPMAXSD      Z28, Z1, Z1")
	f.i("VPMOVDB      Z0, (DI)")
	f.i("VPMOVDB      Z1, 16(DI)")
	f.i("VPADDD       Z1, Z0, Z0")
	f.i("VEXTRACTI64X4 $1, Z0, Y1")
	f.i("VPADDD       Y1, Y0, Y0")
	f.i("VEXTRACTI128 $1, Y0, X1")
	f.i("VPADDD       X1, X0, X0")
	f.i("VPSHUFD      $0x4e, X0, X1")
	f.i("VPADDD       X1, X0, X0")
	f.i("VPSHUFD      $0xb1, X0, X1")
	f.i("VPADDD       X1, X0, X0")
	f.i("VMOVD        X0, (R9)")
	f.label(name + "next")
	f.i("ADDQ         $128, SI")
	f.i("ADDQ         $32, DI")
	f.i("ADDQ         $4, R8")
	f.i("ADDQ         $4, R9")
	f.i("DECQ         CX")
	f.i("JNZ          %sloop", name)
	f.label(name + "done")
	f.i("VZEROUPPER")
	f.i("RET")
	f.label(name + "nan")
	f.i("MOVL         $0x7fc00000, AX")
	f.i("JMP          %sstore", name)
	f.label(name + "zero")
	f.i("XORL         AX, AX")
	f.label(name + "store")
	f.i("MOVL         AX, (R8)")
	f.i("MOVL         $0, (R9)")
	f.i("VPXORD       Z0, Z0, Z0")
	f.i("VMOVDQU      Y0, (DI)")
	f.i("JMP          %snext", name)
	f.line("")
}
