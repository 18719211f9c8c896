//go:build amd64 && !noasm

#include "textflag.h"

// AVX-512 matrix-vector kernels for four weight rows at once. The x
// vector is read once per block and shared by the four rows; codes are
// converted with VCVTDQ2PS and multiplied in zmm; each group's scale is
// applied once per block (4-bit) or group (8-bit) to a partial sum. No
// software prefetch: the hardware prefetchers follow the four row streams,
// and PREFETCHT0 at 512-2048 bytes ahead measured no faster (8-bit
// slightly slower) on 16384x16384 weights.

// PLANE multiplies nibble plane k (mask M, x offset O) of both row pairs
// (Z0: rows 0|1, Z1: rows 2|3) with the eight x values of that plane,
// broadcast to both halves, into the partial sums TA (rows 0|1) and TB.
#define PLANE(M, O, TA, TB) \
	VBROADCASTF32X8 O(DI), Z2; \
	VPANDD          M, Z0, Z3; \
	VPANDD          M, Z1, Z4; \
	VCVTDQ2PS       Z3, Z3;    \
	VCVTDQ2PS       Z4, Z4;    \
	VFMADD231PS     Z2, Z3, TA; \
	VFMADD231PS     Z2, Z4, TB

// HSUM8 adds the eight lanes of Y into the low lane of X (clobbers XT).
#define HSUM8(Y, X, XT) \
	VEXTRACTF128 $1, Y, XT; \
	VADDPS       XT, X, X;  \
	VHADDPS      X, X, X;   \
	VHADDPS      X, X, X

// func rows4Dot4AVX512(codes *uint32, stride int, xp *float32, scales, biases *float32, sstride int, xs *float32, blocks, blocksPerGroup int, out *float32)
//
// Four rows of 4-bit codes (stride bytes apart; scales and biases
// sstride bytes apart) against x permuted by permute4Blocks. A 64-value
// block of a row is 8 words; rows 0 and 1 share one zmm (lanes 0-7 and
// 8-15), rows 2 and 3 another, so x's 8-value plane is broadcast to both
// halves. As in rowDot4AVX2, plane k is masked in place and x carries
// the 16^-k. The bias term bias_g*Σx_g is spread over the lanes holding
// group g: xs holds Σx_g*8/group, one share per lane and block.
TEXT ·rows4Dot4AVX512(SB), NOSPLIT, $0-80
	MOVQ codes+0(FP), SI
	MOVQ stride+8(FP), R9
	MOVQ xp+16(FP), DI
	MOVQ scales+24(FP), R8
	MOVQ biases+32(FP), R11
	MOVQ sstride+40(FP), R12
	MOVQ xs+48(FP), AX
	MOVQ blocks+56(FP), CX
	MOVQ blocksPerGroup+64(FP), DX
	LEAQ (R9)(R9*2), R10
	LEAQ (R12)(R12*2), R13

	VPTERNLOGD $0xff, Z20, Z20, Z20
	VPSRLD     $28, Z20, Z20        // 0x0000000f
	VPSLLD     $4, Z20, Z21
	VPSLLD     $4, Z21, Z22
	VPSLLD     $4, Z22, Z23
	VPSLLD     $4, Z23, Z24
	VPSLLD     $4, Z24, Z25
	VPSLLD     $4, Z25, Z26         // 0x0f000000
	MOVL       $0xff00, BX
	KMOVW      BX, K1
	MOVL       $0x00f0, BX
	KMOVW      BX, K2
	MOVL       $0x0f00, BX
	KMOVW      BX, K3
	MOVL       $0xf000, BX
	KMOVW      BX, K4
	MOVL       $0xf0f0, BX
	KMOVW      BX, K5
	MOVQ       DX, BX
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	TESTQ  CX, CX
	JZ     done4

block4:
	VMOVDQU32     (SI), Y0
	VINSERTI32X8  $1, (SI)(R9*1), Z0, Z0
	VMOVDQU32     (SI)(R9*2), Y1
	VINSERTI32X8  $1, (SI)(R10*1), Z1, Z1
	VBROADCASTF32X8 (DI), Z2
	VPANDD        Z20, Z0, Z3
	VPANDD        Z20, Z1, Z4
	VCVTDQ2PS     Z3, Z3
	VCVTDQ2PS     Z4, Z4
	VMULPS        Z2, Z3, Z5
	VMULPS        Z2, Z4, Z6
	VBROADCASTF32X8 32(DI), Z2
	VPANDD        Z21, Z0, Z3
	VPANDD        Z21, Z1, Z4
	VCVTDQ2PS     Z3, Z3
	VCVTDQ2PS     Z4, Z4
	VMULPS        Z2, Z3, Z7
	VMULPS        Z2, Z4, Z8
	PLANE(Z22, 64, Z5, Z6)
	PLANE(Z23, 96, Z7, Z8)
	PLANE(Z24, 128, Z5, Z6)
	PLANE(Z25, 160, Z7, Z8)
	PLANE(Z26, 192, Z5, Z6)
	VBROADCASTF32X8 224(DI), Z2
	VPSRLD        $28, Z0, Z3
	VPSRLD        $28, Z1, Z4
	VCVTDQ2PS     Z3, Z3
	VCVTDQ2PS     Z4, Z4
	VFMADD231PS   Z2, Z3, Z7
	VFMADD231PS   Z2, Z4, Z8
	VADDPS        Z7, Z5, Z5
	VADDPS        Z8, Z6, Z6

	// Scales and biases of this block: rows 0|1 into Z10 and Z16, rows
	// 2|3 into Z11 and Z17, by merge-masked broadcasts (K1: lanes 8-15;
	// for group size 32 K2-K4: lanes 4-7, 8-11, 12-15); the lanes' shares
	// of Σx into Z18 (K5: lanes 4-7 and 12-15).
	TESTQ         DX, DX
	JNZ           wscale
	VBROADCASTSS  (R8), Z10
	VBROADCASTSS  4(R8), K2, Z10
	VBROADCASTSS  (R8)(R12*1), K3, Z10
	VBROADCASTSS  4(R8)(R12*1), K4, Z10
	VBROADCASTSS  (R8)(R12*2), Z11
	VBROADCASTSS  4(R8)(R12*2), K2, Z11
	VBROADCASTSS  (R8)(R13*1), K3, Z11
	VBROADCASTSS  4(R8)(R13*1), K4, Z11
	VBROADCASTSS  (R11), Z16
	VBROADCASTSS  4(R11), K2, Z16
	VBROADCASTSS  (R11)(R12*1), K3, Z16
	VBROADCASTSS  4(R11)(R12*1), K4, Z16
	VBROADCASTSS  (R11)(R12*2), Z17
	VBROADCASTSS  4(R11)(R12*2), K2, Z17
	VBROADCASTSS  (R11)(R13*1), K3, Z17
	VBROADCASTSS  4(R11)(R13*1), K4, Z17
	VBROADCASTSS  (AX), Z18
	VBROADCASTSS  4(AX), K5, Z18
	ADDQ          $8, R8
	ADDQ          $8, R11
	ADDQ          $8, AX
	JMP           scaled

wscale:
	VBROADCASTSS  (R8), Z10
	VBROADCASTSS  (R8)(R12*1), K1, Z10
	VBROADCASTSS  (R8)(R12*2), Z11
	VBROADCASTSS  (R8)(R13*1), K1, Z11
	VBROADCASTSS  (R11), Z16
	VBROADCASTSS  (R11)(R12*1), K1, Z16
	VBROADCASTSS  (R11)(R12*2), Z17
	VBROADCASTSS  (R11)(R13*1), K1, Z17
	VBROADCASTSS  (AX), Z18
	DECQ          BX
	JNZ           scaled
	ADDQ          $4, R8
	ADDQ          $4, R11
	ADDQ          $4, AX
	MOVQ          DX, BX

scaled:
	VFMADD231PS   Z5, Z10, Z12
	VFMADD231PS   Z6, Z11, Z13
	VFMADD231PS   Z18, Z16, Z12
	VFMADD231PS   Z18, Z17, Z13
	ADDQ          $32, SI
	ADDQ          $256, DI
	DECQ          CX
	JNZ           block4

done4:
	VEXTRACTF32X8 $1, Z12, Y14
	VEXTRACTF32X8 $1, Z13, Y15
	HSUM8(Y12, X12, X0)
	HSUM8(Y14, X14, X0)
	HSUM8(Y13, X13, X0)
	HSUM8(Y15, X15, X0)
	MOVQ  out+72(FP), AX
	MOVSS X12, (AX)
	MOVSS X14, 4(AX)
	MOVSS X13, 8(AX)
	MOVSS X15, 12(AX)
	VZEROUPPER
	RET

// HSUM16 adds the sixteen lanes of Z (low half Y, X) into X's low lane.
#define HSUM16(Z, Y, X, YT, XT) \
	VEXTRACTF32X8 $1, Z, YT; \
	VADDPS        YT, Y, Y;  \
	HSUM8(Y, X, XT)

// CHUNK8 multiplies 16 codes of each of the four rows at offset O with
// the 16 x values in Z0 into partial sums T0..T3.
#define CHUNK8(O, T0, T1, T2, T3) \
	VPMOVZXBD   O(SI), Z1;         \
	VPMOVZXBD   O(SI)(R9*1), Z2;   \
	VPMOVZXBD   O(SI)(R9*2), Z3;   \
	VPMOVZXBD   O(SI)(R10*1), Z4;  \
	VCVTDQ2PS   Z1, Z1;            \
	VCVTDQ2PS   Z2, Z2;            \
	VCVTDQ2PS   Z3, Z3;            \
	VCVTDQ2PS   Z4, Z4;            \
	VFMADD231PS Z0, Z1, T0;        \
	VFMADD231PS Z0, Z2, T1;        \
	VFMADD231PS Z0, Z3, T2;        \
	VFMADD231PS Z0, Z4, T3

// func rows4Dot8AVX512(codes *uint32, stride int, x *float32, scales, biases *float32, sstride int, xs *float32, groups, pairs int, out *float32)
//
// Four rows of 8-bit codes: per group, pairs of 16-value chunks go into
// two partial sums per row (Z5-Z8 and Z9-Z12) so that the FMAs of a row
// do not wait on each other; the group's scale, broadcast from memory,
// then multiplies the partial sum into the row's total (Z13-Z16), and
// its bias multiplies the lanes' shares of Σx (xs holds Σx_g/16).
TEXT ·rows4Dot8AVX512(SB), NOSPLIT, $0-80
	MOVQ codes+0(FP), SI
	MOVQ stride+8(FP), R9
	MOVQ x+16(FP), DI
	MOVQ scales+24(FP), R8
	MOVQ biases+32(FP), R11
	MOVQ sstride+40(FP), R12
	MOVQ xs+48(FP), AX
	MOVQ groups+56(FP), CX
	MOVQ pairs+64(FP), DX
	LEAQ (R9)(R9*2), R10
	LEAQ (R12)(R12*2), R13
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15
	VPXORD Z16, Z16, Z16
	TESTQ  CX, CX
	JZ     done8

group8:
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	MOVQ   DX, BX

pair8:
	VMOVUPS     (DI), Z0
	CHUNK8(0, Z5, Z6, Z7, Z8)
	VMOVUPS     64(DI), Z0
	CHUNK8(16, Z9, Z10, Z11, Z12)
	ADDQ        $32, SI
	ADDQ        $128, DI
	DECQ        BX
	JNZ         pair8

	VADDPS      Z9, Z5, Z5
	VADDPS      Z10, Z6, Z6
	VADDPS      Z11, Z7, Z7
	VADDPS      Z12, Z8, Z8
	VFMADD231PS.BCST (R8), Z5, Z13
	VFMADD231PS.BCST (R8)(R12*1), Z6, Z14
	VFMADD231PS.BCST (R8)(R12*2), Z7, Z15
	VFMADD231PS.BCST (R8)(R13*1), Z8, Z16
	VBROADCASTSS     (AX), Z17
	VFMADD231PS.BCST (R11), Z17, Z13
	VFMADD231PS.BCST (R11)(R12*1), Z17, Z14
	VFMADD231PS.BCST (R11)(R12*2), Z17, Z15
	VFMADD231PS.BCST (R11)(R13*1), Z17, Z16
	ADDQ        $4, R8
	ADDQ        $4, R11
	ADDQ        $4, AX
	DECQ        CX
	JNZ         group8

done8:
	HSUM16(Z13, Y13, X13, Y0, X1)
	HSUM16(Z14, Y14, X14, Y0, X1)
	HSUM16(Z15, Y15, X15, Y0, X1)
	VMOVAPS Z16, Z5 // VEX forms below reach only X0-X15
	HSUM16(Z5, Y5, X5, Y0, X1)
	MOVQ  out+72(FP), AX
	MOVSS X13, (AX)
	MOVSS X14, 4(AX)
	MOVSS X15, 8(AX)
	MOVSS X5, 12(AX)
	VZEROUPPER
	RET
