//go:build amd64 && !noasm

#include "textflag.h"

// func rowDot4AVX2(codes *uint32, xp *float32, scales *float32, blocks, blocksPerGroup int) float32
//
// MLX's qdot trick: a block is 8 code words (64 values); lane i of a
// vector load holds word i, whose nibble k is value 8i+k. Masking nibble
// k in place (no shift) and converting gives q*16^k exactly, so xp holds
// x with the block transposed to [k][i] and nibble k's values pre-scaled
// by 16^-k (exact: a power of two); nibble 7 is shifted down instead,
// because q*2^28 would not fit a signed int32. Per block the partial sum
// is scaled into the row total: with group size 32 lanes 0-3 and 4-7
// belong to two groups (blocksPerGroup = 0), otherwise one scale serves
// blocksPerGroup blocks.
TEXT ·rowDot4AVX2(SB), NOSPLIT, $0-44
	MOVQ codes+0(FP), SI
	MOVQ xp+8(FP), DI
	MOVQ scales+16(FP), R8
	MOVQ blocks+24(FP), CX
	MOVQ blocksPerGroup+32(FP), DX
	MOVQ DX, BX
	VPCMPEQD Y8, Y8, Y8
	VPSRLD   $28, Y8, Y8        // 0x0000000f
	VPSLLD   $4, Y8, Y9         // 0x000000f0
	VPSLLD   $4, Y9, Y10
	VPSLLD   $4, Y10, Y11
	VPSLLD   $4, Y11, Y12
	VPSLLD   $4, Y12, Y13
	VPSLLD   $4, Y13, Y14       // 0x0f000000
	VXORPS   Y6, Y6, Y6
	TESTQ    CX, CX
	JZ       done4

block4:
	VMOVDQU     (SI), Y0
	VPAND       Y8, Y0, Y1
	VCVTDQ2PS   Y1, Y1
	VMULPS      (DI), Y1, Y2
	VPAND       Y9, Y0, Y4
	VCVTDQ2PS   Y4, Y4
	VMULPS      32(DI), Y4, Y3
	VPAND       Y10, Y0, Y1
	VCVTDQ2PS   Y1, Y1
	VFMADD231PS 64(DI), Y1, Y2
	VPAND       Y11, Y0, Y4
	VCVTDQ2PS   Y4, Y4
	VFMADD231PS 96(DI), Y4, Y3
	VPAND       Y12, Y0, Y1
	VCVTDQ2PS   Y1, Y1
	VFMADD231PS 128(DI), Y1, Y2
	VPAND       Y13, Y0, Y4
	VCVTDQ2PS   Y4, Y4
	VFMADD231PS 160(DI), Y4, Y3
	VPAND       Y14, Y0, Y1
	VCVTDQ2PS   Y1, Y1
	VFMADD231PS 192(DI), Y1, Y2
	VPSRLD      $28, Y0, Y4
	VCVTDQ2PS   Y4, Y4
	VFMADD231PS 224(DI), Y4, Y3
	VADDPS      Y3, Y2, Y2
	TESTQ       DX, DX
	JNZ         wide4
	VBROADCASTSS (R8), X5
	VBROADCASTSS 4(R8), X4
	VINSERTF128  $1, X4, Y5, Y5
	ADDQ         $8, R8
	JMP          scaled4

wide4:
	VBROADCASTSS (R8), Y5
	DECQ         BX
	JNZ          scaled4
	ADDQ         $4, R8
	MOVQ         DX, BX

scaled4:
	VFMADD231PS Y2, Y5, Y6
	ADDQ        $32, SI
	ADDQ        $256, DI
	DECQ        CX
	JNZ         block4

done4:
	VEXTRACTF128 $1, Y6, X7
	VADDPS       X7, X6, X6
	VHADDPS      X6, X6, X6
	VHADDPS      X6, X6, X6
	VZEROUPPER
	MOVSS        X6, ret+40(FP)
	RET

// func rowDot8AVX2(codes *uint32, x *float32, scales *float32, groups, chunks int) float32
//
// Per chunk of 8 code bytes (8 values): zero-extend, convert, multiply-add
// with 8 x values; chunks alternate between two partial vectors.
TEXT ·rowDot8AVX2(SB), NOSPLIT, $0-44
	MOVQ   codes+0(FP), SI
	MOVQ   x+8(FP), DI
	MOVQ   scales+16(FP), R8
	MOVQ   groups+24(FP), CX
	MOVQ   chunks+32(FP), DX
	SHRQ   $1, DX               // chunks come in pairs (group >= 32)
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	TESTQ  CX, CX
	JZ     done8

group8:
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	MOVQ   DX, BX

chunk8:
	VPMOVZXBD   (SI), Y0
	VPMOVZXBD   8(SI), Y1
	VCVTDQ2PS   Y0, Y0
	VCVTDQ2PS   Y1, Y1
	VFMADD231PS (DI), Y0, Y3
	VFMADD231PS 32(DI), Y1, Y4
	ADDQ        $16, SI
	ADDQ        $64, DI
	DECQ        BX
	JNZ         chunk8

	VADDPS       Y4, Y3, Y3
	VBROADCASTSS (R8), Y5
	VFMADD231PS  Y3, Y5, Y6
	ADDQ         $4, R8
	DECQ         CX
	JZ           done8
	VXORPS       Y3, Y3, Y3
	VXORPS       Y4, Y4, Y4
	MOVQ         DX, BX

chunk8b:
	VPMOVZXBD   (SI), Y0
	VPMOVZXBD   8(SI), Y1
	VCVTDQ2PS   Y0, Y0
	VCVTDQ2PS   Y1, Y1
	VFMADD231PS (DI), Y0, Y3
	VFMADD231PS 32(DI), Y1, Y4
	ADDQ        $16, SI
	ADDQ        $64, DI
	DECQ        BX
	JNZ         chunk8b

	VADDPS       Y4, Y3, Y3
	VBROADCASTSS (R8), Y5
	VFMADD231PS  Y3, Y5, Y7
	ADDQ         $4, R8
	DECQ         CX
	JNZ          group8

done8:
	VADDPS       Y7, Y6, Y6
	VEXTRACTF128 $1, Y6, X7
	VADDPS       X7, X6, X6
	VHADDPS      X6, X6, X6
	VHADDPS      X6, X6, X6
	VZEROUPPER
	MOVSS        X6, ret+40(FP)
	RET

// Nibble masks 0xf << 4k, k = 0..6, one 32-byte vector each.
DATA nib<>+0(SB)/8, $0x0000000f0000000f
DATA nib<>+8(SB)/8, $0x0000000f0000000f
DATA nib<>+16(SB)/8, $0x0000000f0000000f
DATA nib<>+24(SB)/8, $0x0000000f0000000f
DATA nib<>+32(SB)/8, $0x000000f0000000f0
DATA nib<>+40(SB)/8, $0x000000f0000000f0
DATA nib<>+48(SB)/8, $0x000000f0000000f0
DATA nib<>+56(SB)/8, $0x000000f0000000f0
DATA nib<>+64(SB)/8, $0x00000f0000000f00
DATA nib<>+72(SB)/8, $0x00000f0000000f00
DATA nib<>+80(SB)/8, $0x00000f0000000f00
DATA nib<>+88(SB)/8, $0x00000f0000000f00
DATA nib<>+96(SB)/8, $0x0000f0000000f000
DATA nib<>+104(SB)/8, $0x0000f0000000f000
DATA nib<>+112(SB)/8, $0x0000f0000000f000
DATA nib<>+120(SB)/8, $0x0000f0000000f000
DATA nib<>+128(SB)/8, $0x000f0000000f0000
DATA nib<>+136(SB)/8, $0x000f0000000f0000
DATA nib<>+144(SB)/8, $0x000f0000000f0000
DATA nib<>+152(SB)/8, $0x000f0000000f0000
DATA nib<>+160(SB)/8, $0x00f0000000f00000
DATA nib<>+168(SB)/8, $0x00f0000000f00000
DATA nib<>+176(SB)/8, $0x00f0000000f00000
DATA nib<>+184(SB)/8, $0x00f0000000f00000
DATA nib<>+192(SB)/8, $0x0f0000000f000000
DATA nib<>+200(SB)/8, $0x0f0000000f000000
DATA nib<>+208(SB)/8, $0x0f0000000f000000
DATA nib<>+216(SB)/8, $0x0f0000000f000000
GLOBL nib<>(SB), RODATA|NOPTR, $224

// PLANE4 multiplies nibble plane k (mask offset m, x offset o) into the
// four row accumulators.
#define PLANE4(m, o) \
	VPAND       nib<>+m(SB), Y0, Y1;  \
	VCVTDQ2PS   Y1, Y1;               \
	VFMADD231PS o(DI), Y1, Y2;        \
	VFMADD231PS o(DI)(R9*1), Y1, Y3;  \
	VFMADD231PS o(DI)(R10*1), Y1, Y4; \
	VFMADD231PS o(DI)(R11*1), Y1, Y5

// func rowDot4x4AVX2(codes *uint32, xp *float32, stride int, scales *float32, blocks, blocksPerGroup int, out *float32)
//
// rowDot4AVX2 for four input rows at once (xp, xp+stride, xp+2*stride,
// xp+3*stride bytes): each block's codes are masked and converted once
// and reused by all four, which is what makes a batch cheaper than four
// matrix-vector products. out receives the four sums.
TEXT ·rowDot4x4AVX2(SB), NOSPLIT, $0-56
	MOVQ   codes+0(FP), SI
	MOVQ   xp+8(FP), DI
	MOVQ   stride+16(FP), R9
	MOVQ   scales+24(FP), R8
	MOVQ   blocks+32(FP), CX
	MOVQ   blocksPerGroup+40(FP), DX
	MOVQ   out+48(FP), R12
	LEAQ   (R9)(R9*1), R10
	LEAQ   (R10)(R9*1), R11
	MOVQ   DX, BX
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	TESTQ  CX, CX
	JZ     done44

block44:
	VMOVDQU   (SI), Y0
	VPAND     nib<>+0(SB), Y0, Y1
	VCVTDQ2PS Y1, Y1
	VMULPS    (DI), Y1, Y2
	VMULPS    (DI)(R9*1), Y1, Y3
	VMULPS    (DI)(R10*1), Y1, Y4
	VMULPS    (DI)(R11*1), Y1, Y5
	PLANE4(32, 32)
	PLANE4(64, 64)
	PLANE4(96, 96)
	PLANE4(128, 128)
	PLANE4(160, 160)
	PLANE4(192, 192)
	VPSRLD      $28, Y0, Y1
	VCVTDQ2PS   Y1, Y1
	VFMADD231PS 224(DI), Y1, Y2
	VFMADD231PS 224(DI)(R9*1), Y1, Y3
	VFMADD231PS 224(DI)(R10*1), Y1, Y4
	VFMADD231PS 224(DI)(R11*1), Y1, Y5
	TESTQ       DX, DX
	JNZ         wide44
	VBROADCASTSS (R8), X10
	VBROADCASTSS 4(R8), X11
	VINSERTF128  $1, X11, Y10, Y10
	ADDQ         $8, R8
	JMP          scaled44

wide44:
	VBROADCASTSS (R8), Y10
	DECQ         BX
	JNZ          scaled44
	ADDQ         $4, R8
	MOVQ         DX, BX

scaled44:
	VFMADD231PS Y2, Y10, Y6
	VFMADD231PS Y3, Y10, Y7
	VFMADD231PS Y4, Y10, Y8
	VFMADD231PS Y5, Y10, Y9
	ADDQ        $32, SI
	ADDQ        $256, DI
	DECQ        CX
	JNZ         block44

done44:
	VEXTRACTF128 $1, Y6, X0
	VADDPS       X0, X6, X6
	VHADDPS      X6, X6, X6
	VHADDPS      X6, X6, X6
	MOVSS        X6, (R12)
	VEXTRACTF128 $1, Y7, X0
	VADDPS       X0, X7, X7
	VHADDPS      X7, X7, X7
	VHADDPS      X7, X7, X7
	MOVSS        X7, 4(R12)
	VEXTRACTF128 $1, Y8, X0
	VADDPS       X0, X8, X8
	VHADDPS      X8, X8, X8
	VHADDPS      X8, X8, X8
	MOVSS        X8, 8(R12)
	VEXTRACTF128 $1, Y9, X0
	VADDPS       X0, X9, X9
	VHADDPS      X9, X9, X9
	VHADDPS      X9, X9, X9
	MOVSS        X9, 12(R12)
	VZEROUPPER
	RET
