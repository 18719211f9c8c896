//go:build !noasm

#include "textflag.h"

// Edge-row variants of microAVX512 for the last panel of A when it holds
// at most 8 or 4 real rows: they read the same 14-row packed panel (56
// bytes per k step) but compute only the leading rows, so a 128-row
// matrix does not pay for 140. C here is always the driver's tile buffer.

#define ROW(off, bc, c0, c1) \
	VBROADCASTSS off(AX), bc; \
	VFMADD231PS  Z28, bc, c0; \
	VFMADD231PS  Z29, bc, c1

#define STORE(c0, c1) \
	VMOVUPS c0, (R8); \
	VMOVUPS c1, 64(R8); \
	ADDQ    R9, R8

// func microAVX512x8(kc int, a, b, c *float32, ldc int, acc bool)
TEXT ·microAVX512x8(SB), NOSPLIT, $0-41
	MOVQ   kc+0(FP), CX
	MOVQ   a+8(FP), AX
	MOVQ   b+16(FP), BX
	MOVQ   c+24(FP), R8
	MOVQ   ldc+32(FP), R9
	SHLQ   $2, R9
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15

loop8:
	VMOVUPS (BX), Z28
	VMOVUPS 64(BX), Z29
	ROW(0, Z30, Z0, Z1)
	ROW(4, Z31, Z2, Z3)
	ROW(8, Z30, Z4, Z5)
	ROW(12, Z31, Z6, Z7)
	ROW(16, Z30, Z8, Z9)
	ROW(20, Z31, Z10, Z11)
	ROW(24, Z30, Z12, Z13)
	ROW(28, Z31, Z14, Z15)
	ADDQ    $56, AX
	ADDQ    $128, BX
	DECQ    CX
	JNZ     loop8

	STORE(Z0, Z1)
	STORE(Z2, Z3)
	STORE(Z4, Z5)
	STORE(Z6, Z7)
	STORE(Z8, Z9)
	STORE(Z10, Z11)
	STORE(Z12, Z13)
	STORE(Z14, Z15)
	VZEROUPPER
	RET

// func microAVX512x4(kc int, a, b, c *float32, ldc int, acc bool)
TEXT ·microAVX512x4(SB), NOSPLIT, $0-41
	MOVQ   kc+0(FP), CX
	MOVQ   a+8(FP), AX
	MOVQ   b+16(FP), BX
	MOVQ   c+24(FP), R8
	MOVQ   ldc+32(FP), R9
	SHLQ   $2, R9
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7

loop4:
	VMOVUPS (BX), Z28
	VMOVUPS 64(BX), Z29
	ROW(0, Z30, Z0, Z1)
	ROW(4, Z31, Z2, Z3)
	ROW(8, Z30, Z4, Z5)
	ROW(12, Z31, Z6, Z7)
	ADDQ    $56, AX
	ADDQ    $128, BX
	DECQ    CX
	JNZ     loop4

	STORE(Z0, Z1)
	STORE(Z2, Z3)
	STORE(Z4, Z5)
	STORE(Z6, Z7)
	VZEROUPPER
	RET
