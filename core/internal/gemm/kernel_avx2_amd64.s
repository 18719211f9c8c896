//go:build !noasm

#include "textflag.h"

// microAVX2 is the 6×16 AVX2+FMA micro-kernel: 12 ymm accumulators
// (Y0-Y11, two per row of C), two ymm of packed B per k step (Y12, Y13)
// and two alternating broadcast registers (Y14, Y15): all 16 ymm
// registers, 12 FMAs per 8 loads.

#define ROW(off, bc, c0, c1) \
	VBROADCASTSS off(AX), bc; \
	VFMADD231PS  Y12, bc, c0; \
	VFMADD231PS  Y13, bc, c1

#define STEP(boff, aoff) \
	VMOVUPS boff(BX), Y12; \
	VMOVUPS boff+32(BX), Y13; \
	ROW(aoff, Y14, Y0, Y1); \
	ROW(aoff+4, Y15, Y2, Y3); \
	ROW(aoff+8, Y14, Y4, Y5); \
	ROW(aoff+12, Y15, Y6, Y7); \
	ROW(aoff+16, Y14, Y8, Y9); \
	ROW(aoff+20, Y15, Y10, Y11)

#define STORE(c0, c1) \
	VMOVUPS c0, (R8); \
	VMOVUPS c1, 32(R8); \
	ADDQ    R9, R8

#define ADDSTORE(c0, c1) \
	VADDPS  (R8), c0, c0; \
	VADDPS  32(R8), c1, c1; \
	VMOVUPS c0, (R8); \
	VMOVUPS c1, 32(R8); \
	ADDQ    R9, R8

// func microAVX2(kc int, a, b, c *float32, ldc int, acc bool)
TEXT ·microAVX2(SB), NOSPLIT, $0-41
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), BX
	MOVQ c+24(FP), R8
	MOVQ ldc+32(FP), R9
	SHLQ $2, R9

	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11

	CMPQ CX, $4
	JLT  tail

loop4:
	PREFETCHT0 512(BX)
	STEP(0, 0)
	PREFETCHT0 576(BX)
	STEP(64, 24)
	PREFETCHT0 640(BX)
	STEP(128, 48)
	PREFETCHT0 704(BX)
	STEP(192, 72)
	ADDQ $96, AX
	ADDQ $256, BX
	SUBQ $4, CX
	CMPQ CX, $4
	JGE  loop4

tail:
	TESTQ CX, CX
	JZ    done

loop1:
	STEP(0, 0)
	ADDQ $24, AX
	ADDQ $64, BX
	DECQ CX
	JNZ  loop1

done:
	MOVBQZX acc+40(FP), DX
	TESTQ   DX, DX
	JNZ     accumulate
	STORE(Y0, Y1)
	STORE(Y2, Y3)
	STORE(Y4, Y5)
	STORE(Y6, Y7)
	STORE(Y8, Y9)
	STORE(Y10, Y11)
	VZEROUPPER
	RET

accumulate:
	ADDSTORE(Y0, Y1)
	ADDSTORE(Y2, Y3)
	ADDSTORE(Y4, Y5)
	ADDSTORE(Y6, Y7)
	ADDSTORE(Y8, Y9)
	ADDSTORE(Y10, Y11)
	VZEROUPPER
	RET
