//go:build !noasm

#include "textflag.h"

// func packA14AVX512(kc int, src *float32, lda int, dst *float32)
//
// Packs a full 14-row panel of a row-major A, 16 k steps at a time: one
// 64-byte load from each row, a 16×16 register transpose (rows 14 and 15
// are zero), and 16 masked 14-value stores. Each cache line of A is read
// once and whole, which also sidesteps the L1 set conflicts that
// power-of-two row strides cause for element-wise packing. kc is a
// multiple of 16; the caller packs the remainder.

// Stage 1: interleave the floats of row pairs.
#define UNPK(a, b, lo, hi) \
	VUNPCKLPS b, a, lo; \
	VUNPCKHPS b, a, hi

// Stage 2: interleave the float pairs of pair-groups.
#define UNPKD(a, b, lo, hi) \
	VUNPCKLPD b, a, lo; \
	VUNPCKHPD b, a, hi

TEXT ·packA14AVX512(SB), NOSPLIT, $0-32
	MOVQ kc+0(FP), CX
	MOVQ src+8(FP), SI
	MOVQ lda+16(FP), DX
	SHLQ $2, DX
	MOVQ dst+24(FP), DI
	LEAQ (DX)(DX*2), R10     // 3·lda
	LEAQ (SI)(DX*4), R11     // row 4
	LEAQ (R11)(DX*4), R12    // row 8
	LEAQ (R12)(DX*4), R13    // row 12
	MOVL $0x3fff, AX
	KMOVW AX, K1
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15

loop:
	TESTQ CX, CX
	JZ    done
	VMOVUPS (SI), Z0
	VMOVUPS (SI)(DX*1), Z1
	VMOVUPS (SI)(DX*2), Z2
	VMOVUPS (SI)(R10*1), Z3
	VMOVUPS (R11), Z4
	VMOVUPS (R11)(DX*1), Z5
	VMOVUPS (R11)(DX*2), Z6
	VMOVUPS (R11)(R10*1), Z7
	VMOVUPS (R12), Z8
	VMOVUPS (R12)(DX*1), Z9
	VMOVUPS (R12)(DX*2), Z10
	VMOVUPS (R12)(R10*1), Z11
	VMOVUPS (R13), Z12
	VMOVUPS (R13)(DX*1), Z13

	UNPK(Z0, Z1, Z16, Z17)
	UNPK(Z2, Z3, Z18, Z19)
	UNPK(Z4, Z5, Z20, Z21)
	UNPK(Z6, Z7, Z22, Z23)
	UNPK(Z8, Z9, Z24, Z25)
	UNPK(Z10, Z11, Z26, Z27)
	UNPK(Z12, Z13, Z28, Z29)
	UNPK(Z14, Z15, Z30, Z31)

	// u[4g+j] holds rows 4g..4g+3 at k = j, j+4, j+8, j+12 (one per lane).
	UNPKD(Z16, Z18, Z0, Z1)
	UNPKD(Z17, Z19, Z2, Z3)
	UNPKD(Z20, Z22, Z4, Z5)
	UNPKD(Z21, Z23, Z6, Z7)
	UNPKD(Z24, Z26, Z8, Z9)
	UNPKD(Z25, Z27, Z10, Z11)
	UNPKD(Z28, Z30, Z12, Z13)
	UNPKD(Z29, Z31, Z14, Z15)

	// Stage 3: for each j, lanes 0-1 and 2-3 of groups (0,1) and (2,3).
	VSHUFF32X4 $0x44, Z4, Z0, Z16
	VSHUFF32X4 $0xee, Z4, Z0, Z17
	VSHUFF32X4 $0x44, Z12, Z8, Z18
	VSHUFF32X4 $0xee, Z12, Z8, Z19
	VSHUFF32X4 $0x44, Z5, Z1, Z20
	VSHUFF32X4 $0xee, Z5, Z1, Z21
	VSHUFF32X4 $0x44, Z13, Z9, Z22
	VSHUFF32X4 $0xee, Z13, Z9, Z23
	VSHUFF32X4 $0x44, Z6, Z2, Z24
	VSHUFF32X4 $0xee, Z6, Z2, Z25
	VSHUFF32X4 $0x44, Z14, Z10, Z26
	VSHUFF32X4 $0xee, Z14, Z10, Z27
	VSHUFF32X4 $0x44, Z7, Z3, Z28
	VSHUFF32X4 $0xee, Z7, Z3, Z29
	VSHUFF32X4 $0x44, Z15, Z11, Z30
	VSHUFF32X4 $0xee, Z15, Z11, Z31

	// Stage 4: k step j+4L gathers lane L of the four groups.
	VSHUFF32X4 $0x88, Z18, Z16, Z0  // k 0
	VSHUFF32X4 $0xdd, Z18, Z16, Z4  // k 4
	VSHUFF32X4 $0x88, Z19, Z17, Z8  // k 8
	VSHUFF32X4 $0xdd, Z19, Z17, Z12 // k 12
	VSHUFF32X4 $0x88, Z22, Z20, Z1  // k 1
	VSHUFF32X4 $0xdd, Z22, Z20, Z5  // k 5
	VSHUFF32X4 $0x88, Z23, Z21, Z9  // k 9
	VSHUFF32X4 $0xdd, Z23, Z21, Z13 // k 13
	VSHUFF32X4 $0x88, Z26, Z24, Z2  // k 2
	VSHUFF32X4 $0xdd, Z26, Z24, Z6  // k 6
	VSHUFF32X4 $0x88, Z27, Z25, Z10 // k 10
	VSHUFF32X4 $0xdd, Z27, Z25, Z14 // k 14
	VSHUFF32X4 $0x88, Z30, Z28, Z3  // k 3
	VSHUFF32X4 $0xdd, Z30, Z28, Z7  // k 7
	VSHUFF32X4 $0x88, Z31, Z29, Z11 // k 11
	VSHUFF32X4 $0xdd, Z31, Z29, Z15 // k 15

	VMOVUPS Z0, K1, (DI)
	VMOVUPS Z1, K1, 56(DI)
	VMOVUPS Z2, K1, 112(DI)
	VMOVUPS Z3, K1, 168(DI)
	VMOVUPS Z4, K1, 224(DI)
	VMOVUPS Z5, K1, 280(DI)
	VMOVUPS Z6, K1, 336(DI)
	VMOVUPS Z7, K1, 392(DI)
	VMOVUPS Z8, K1, 448(DI)
	VMOVUPS Z9, K1, 504(DI)
	VMOVUPS Z10, K1, 560(DI)
	VMOVUPS Z11, K1, 616(DI)
	VMOVUPS Z12, K1, 672(DI)
	VMOVUPS Z13, K1, 728(DI)
	VMOVUPS Z14, K1, 784(DI)
	VMOVUPS Z15, K1, 840(DI)

	// Rows 14 and 15 must stay zero for the next block.
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15
	ADDQ   $64, SI
	ADDQ   $64, R11
	ADDQ   $64, R12
	ADDQ   $64, R13
	ADDQ   $896, DI
	SUBQ   $16, CX
	JMP    loop

done:
	VZEROUPPER
	RET

// func transpose16AVX512(src *float32, lds int, dst *float32, ldd int)
//
// Writes the transpose of the 16×16 block at src (row stride lds
// elements) to dst (row stride ldd): the same register transpose as
// packA14AVX512 with all 16 rows real. packB uses it for transposed B.
TEXT ·transpose16AVX512(SB), NOSPLIT, $0-32
	MOVQ src+0(FP), SI
	MOVQ lds+8(FP), DX
	SHLQ $2, DX
	MOVQ dst+16(FP), DI
	MOVQ ldd+24(FP), BX
	SHLQ $2, BX
	LEAQ (DX)(DX*2), R10
	LEAQ (SI)(DX*4), R11
	LEAQ (R11)(DX*4), R12
	LEAQ (R12)(DX*4), R13
	VMOVUPS (SI), Z0
	VMOVUPS (SI)(DX*1), Z1
	VMOVUPS (SI)(DX*2), Z2
	VMOVUPS (SI)(R10*1), Z3
	VMOVUPS (R11), Z4
	VMOVUPS (R11)(DX*1), Z5
	VMOVUPS (R11)(DX*2), Z6
	VMOVUPS (R11)(R10*1), Z7
	VMOVUPS (R12), Z8
	VMOVUPS (R12)(DX*1), Z9
	VMOVUPS (R12)(DX*2), Z10
	VMOVUPS (R12)(R10*1), Z11
	VMOVUPS (R13), Z12
	VMOVUPS (R13)(DX*1), Z13
	VMOVUPS (R13)(DX*2), Z14
	VMOVUPS (R13)(R10*1), Z15

	UNPK(Z0, Z1, Z16, Z17)
	UNPK(Z2, Z3, Z18, Z19)
	UNPK(Z4, Z5, Z20, Z21)
	UNPK(Z6, Z7, Z22, Z23)
	UNPK(Z8, Z9, Z24, Z25)
	UNPK(Z10, Z11, Z26, Z27)
	UNPK(Z12, Z13, Z28, Z29)
	UNPK(Z14, Z15, Z30, Z31)

	// u[4g+j] holds rows 4g..4g+3 at k = j, j+4, j+8, j+12 (one per lane).
	UNPKD(Z16, Z18, Z0, Z1)
	UNPKD(Z17, Z19, Z2, Z3)
	UNPKD(Z20, Z22, Z4, Z5)
	UNPKD(Z21, Z23, Z6, Z7)
	UNPKD(Z24, Z26, Z8, Z9)
	UNPKD(Z25, Z27, Z10, Z11)
	UNPKD(Z28, Z30, Z12, Z13)
	UNPKD(Z29, Z31, Z14, Z15)

	// Stage 3: for each j, lanes 0-1 and 2-3 of groups (0,1) and (2,3).
	VSHUFF32X4 $0x44, Z4, Z0, Z16
	VSHUFF32X4 $0xee, Z4, Z0, Z17
	VSHUFF32X4 $0x44, Z12, Z8, Z18
	VSHUFF32X4 $0xee, Z12, Z8, Z19
	VSHUFF32X4 $0x44, Z5, Z1, Z20
	VSHUFF32X4 $0xee, Z5, Z1, Z21
	VSHUFF32X4 $0x44, Z13, Z9, Z22
	VSHUFF32X4 $0xee, Z13, Z9, Z23
	VSHUFF32X4 $0x44, Z6, Z2, Z24
	VSHUFF32X4 $0xee, Z6, Z2, Z25
	VSHUFF32X4 $0x44, Z14, Z10, Z26
	VSHUFF32X4 $0xee, Z14, Z10, Z27
	VSHUFF32X4 $0x44, Z7, Z3, Z28
	VSHUFF32X4 $0xee, Z7, Z3, Z29
	VSHUFF32X4 $0x44, Z15, Z11, Z30
	VSHUFF32X4 $0xee, Z15, Z11, Z31

	// Stage 4: k step j+4L gathers lane L of the four groups.
	VSHUFF32X4 $0x88, Z18, Z16, Z0  // k 0
	VSHUFF32X4 $0xdd, Z18, Z16, Z4  // k 4
	VSHUFF32X4 $0x88, Z19, Z17, Z8  // k 8
	VSHUFF32X4 $0xdd, Z19, Z17, Z12 // k 12
	VSHUFF32X4 $0x88, Z22, Z20, Z1  // k 1
	VSHUFF32X4 $0xdd, Z22, Z20, Z5  // k 5
	VSHUFF32X4 $0x88, Z23, Z21, Z9  // k 9
	VSHUFF32X4 $0xdd, Z23, Z21, Z13 // k 13
	VSHUFF32X4 $0x88, Z26, Z24, Z2  // k 2
	VSHUFF32X4 $0xdd, Z26, Z24, Z6  // k 6
	VSHUFF32X4 $0x88, Z27, Z25, Z10 // k 10
	VSHUFF32X4 $0xdd, Z27, Z25, Z14 // k 14
	VSHUFF32X4 $0x88, Z30, Z28, Z3  // k 3
	VSHUFF32X4 $0xdd, Z30, Z28, Z7  // k 7
	VSHUFF32X4 $0x88, Z31, Z29, Z11 // k 11
	VSHUFF32X4 $0xdd, Z31, Z29, Z15 // k 15

	LEAQ    (BX)(BX*2), R10
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, (DI)(BX*1)
	VMOVUPS Z2, (DI)(BX*2)
	VMOVUPS Z3, (DI)(R10*1)
	LEAQ    (DI)(BX*4), DI
	VMOVUPS Z4, (DI)
	VMOVUPS Z5, (DI)(BX*1)
	VMOVUPS Z6, (DI)(BX*2)
	VMOVUPS Z7, (DI)(R10*1)
	LEAQ    (DI)(BX*4), DI
	VMOVUPS Z8, (DI)
	VMOVUPS Z9, (DI)(BX*1)
	VMOVUPS Z10, (DI)(BX*2)
	VMOVUPS Z11, (DI)(R10*1)
	LEAQ    (DI)(BX*4), DI
	VMOVUPS Z12, (DI)
	VMOVUPS Z13, (DI)(BX*1)
	VMOVUPS Z14, (DI)(BX*2)
	VMOVUPS Z15, (DI)(R10*1)
	VZEROUPPER
	RET
