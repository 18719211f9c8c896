//go:build amd64 && !noasm

#include "textflag.h"

// AVX-512 matrix-vector kernels for four weight rows at once. Each load
// of x is shared by the four rows; codes are masked in place and
// converted with VCVTDQ2PS (4-bit plane 0 looked up) and multiplied in
// zmm; each group's scale is applied once per chunk (4-bit) or group
// (8-bit) to a partial sum, and the bias term is a separate dot at the
// end. Each of the four code streams is prefetched one line per step
// into L1 512 bytes ahead (PREFETCHT0) and into L2 3072 bytes ahead
// (PREFETCHT1), the scale streams 256 bytes ahead: on 16384x16384
// weights with one thread, T0 alone measured 5-30% faster than the
// hardware prefetchers (4096 bytes ahead no better than none), and the
// added T1 a further ~6% (4-bit) and ~27% (8-bit).

// HSUM8 adds the eight lanes of Y into the low lane of X (clobbers XT).
#define HSUM8(Y, X, XT) \
	VEXTRACTF128 $1, Y, XT; \
	VADDPS       XT, X, X;  \
	VHADDPS      X, X, X;   \
	VHADDPS      X, X, X

// HSUM16 adds the sixteen lanes of Z (low half Y, X) into X's low lane.
#define HSUM16(Z, Y, X, YT, XT) \
	VEXTRACTF32X8 $1, Z, YT; \
	VADDPS        YT, Y, Y;  \
	HSUM8(Y, X, XT)

// nibbleTable holds 0..15 as float32: VPERMPS looks nibble plane 0 up in
// it (the index is the low 4 bits of each lane), saving the mask.
DATA nibbleTable<>+0(SB)/4, $0.0
DATA nibbleTable<>+4(SB)/4, $1.0
DATA nibbleTable<>+8(SB)/4, $2.0
DATA nibbleTable<>+12(SB)/4, $3.0
DATA nibbleTable<>+16(SB)/4, $4.0
DATA nibbleTable<>+20(SB)/4, $5.0
DATA nibbleTable<>+24(SB)/4, $6.0
DATA nibbleTable<>+28(SB)/4, $7.0
DATA nibbleTable<>+32(SB)/4, $8.0
DATA nibbleTable<>+36(SB)/4, $9.0
DATA nibbleTable<>+40(SB)/4, $10.0
DATA nibbleTable<>+44(SB)/4, $11.0
DATA nibbleTable<>+48(SB)/4, $12.0
DATA nibbleTable<>+52(SB)/4, $13.0
DATA nibbleTable<>+56(SB)/4, $14.0
DATA nibbleTable<>+60(SB)/4, $15.0
GLOBL nibbleTable<>(SB), RODATA|NOPTR, $64

// PLANE4 adds nibble plane k (mask M) of the four rows' code vectors
// Z0-Z3 times the x plane in Z4 into the rows' chunk sums Z12-Z15.
#define PLANE4(M) \
	VPANDD      M, Z0, Z8;   \
	VPANDD      M, Z1, Z9;   \
	VPANDD      M, Z2, Z10;  \
	VPANDD      M, Z3, Z11;  \
	VCVTDQ2PS   Z8, Z8;      \
	VCVTDQ2PS   Z9, Z9;      \
	VCVTDQ2PS   Z10, Z10;    \
	VCVTDQ2PS   Z11, Z11;    \
	VFMADD231PS Z4, Z8, Z12; \
	VFMADD231PS Z4, Z9, Z13; \
	VFMADD231PS Z4, Z10, Z14; \
	VFMADD231PS Z4, Z11, Z15

// PFBIAS prefetches the four rows' biases (R11, stride R12, R13 = 3*R12)
// into L2 at the start of a call, so the bias dot at its end finds them
// instead of reading them in a burst after the codes (one thread,
// 16384x16384: 4-bit +3.5%, 8-bit +1-2%). G is the group count (at
// least 1). Clobbers BX and CX.
#define PFBIAS(L, G) \
	MOVQ        G, BX;                \
	MOVQ        R11, CX;              \
L:                                    \
	PREFETCHT1  (CX);                 \
	PREFETCHT1  (CX)(R12*1);          \
	PREFETCHT1  (CX)(R12*2);          \
	PREFETCHT1  (CX)(R13*1);          \
	ADDQ        $64, CX;              \
	SUBQ        $16, BX;              \
	JG          L

// BIAS4 adds Σ_g bias_g*xs_g of the four rows (biases at R11, sstride
// R12, R13 = 3*R12; xs at AX; BX groups) into Z16-Z19, 16 groups per step
// and a masked step for the rest. Clobbers Z4-Z7, BX, CX, DX, K1.
#define BIAS4(L, T, D) \
	CMPQ        BX, $16;              \
	JLT         T;                    \
L:                                    \
	VMOVUPS     (AX), Z4;             \
	VFMADD231PS (R11), Z4, Z16;       \
	VFMADD231PS (R11)(R12*1), Z4, Z17; \
	VFMADD231PS (R11)(R12*2), Z4, Z18; \
	VFMADD231PS (R11)(R13*1), Z4, Z19; \
	ADDQ        $64, AX;              \
	ADDQ        $64, R11;             \
	SUBQ        $16, BX;              \
	CMPQ        BX, $16;              \
	JGE         L;                    \
T:                                    \
	TESTQ       BX, BX;               \
	JZ          D;                    \
	MOVQ        BX, CX;               \
	MOVL        $1, DX;               \
	SHLL        CX, DX;               \
	DECL        DX;                   \
	KMOVW       DX, K1;               \
	VMOVUPS.Z   (AX), K1, Z4;         \
	VMOVUPS.Z   (R11), K1, Z5;        \
	VMOVUPS.Z   (R11)(R12*1), K1, Z6; \
	VMOVUPS.Z   (R11)(R12*2), K1, Z7; \
	VFMADD231PS Z4, Z5, Z16;          \
	VMOVUPS.Z   (R11)(R13*1), K1, Z5; \
	VFMADD231PS Z4, Z6, Z17;          \
	VFMADD231PS Z4, Z7, Z18;          \
	VFMADD231PS Z4, Z5, Z19;          \
D:

// func rows4Dot4AVX512(codes *uint32, cstride int, xp *float32, scales, biases *float32, sstride int, xs *float32, chunks, groups, gshift int, out *float32)
//
// Four rows of 4-bit codes (cstride bytes apart; scales and biases
// sstride bytes apart) against x permuted by permute4x128. A chunk is
// 128 values of a row: one zmm of 16 code words, lane i holding values
// 8i..8i+7 as nibbles 0..7. Nibble plane k is masked in place and
// converted (x carries 16^-k for it; plane 0 is looked up in
// nibbleTable, plane 7 shifted down), so each 64-byte load of x serves
// the four rows with no broadcast. Lane i belongs to group i>>gshift of
// the chunk: the chunk's scales are loaded (masked: 1<<(4-gshift) of
// them) and spread over the lanes by one VPERMPS per row. The bias term
// Σ_g bias_g*xs_g is a separate dot after the codes (xs: the group sums
// of x, groups per row); the chunks cover K/128*128 values, the caller
// adds any shorter tail.
TEXT ·rows4Dot4AVX512(SB), NOSPLIT, $0-88
	MOVQ codes+0(FP), SI
	MOVQ cstride+8(FP), R9
	MOVQ xp+16(FP), DI
	MOVQ scales+24(FP), R8
	MOVQ biases+32(FP), R11
	MOVQ sstride+40(FP), R12
	MOVQ xs+48(FP), AX
	MOVQ gshift+72(FP), CX
	LEAQ (R9)(R9*2), R10
	LEAQ (R12)(R12*2), R13

	VPTERNLOGD $0xff, Z21, Z21, Z21
	VPSRLD     $28, Z21, Z21        // 0x0000000f
	VPSLLD     $4, Z21, Z21         // 0x000000f0
	VPSLLD     $4, Z21, Z22
	VPSLLD     $4, Z22, Z23
	VPSLLD     $4, Z23, Z24
	VPSLLD     $4, Z24, Z25
	VPSLLD     $4, Z25, Z26         // 0x0f000000
	VMOVUPS    nibbleTable<>(SB), Z27
	VCVTPS2DQ  Z27, Z28             // lane indices 0..15
	VMOVQ      CX, X5
	VPSRLD     X5, Z28, Z28         // lane i -> group i>>gshift of the chunk
	MOVL       $16, BX
	SHRL       CX, BX               // groups per chunk
	LEAQ       (BX*4), R14          // bytes of scales per chunk
	MOVL       BX, CX
	MOVL       $1, DX
	SHLL       CX, DX
	DECL       DX
	KMOVW      DX, K7               // the chunk's scales
	PFBIAS(pfb4, groups+64(FP))
	MOVQ       chunks+56(FP), CX
	LEAQ       512(SI), DX          // prefetch pointer
	VPXORD     Z16, Z16, Z16
	VPXORD     Z17, Z17, Z17
	VPXORD     Z18, Z18, Z18
	VPXORD     Z19, Z19, Z19
	TESTQ      CX, CX
	JZ         bias4

chunk4:
	PREFETCHT0  (DX)
	PREFETCHT0  (DX)(R9*1)
	PREFETCHT0  (DX)(R9*2)
	PREFETCHT0  (DX)(R10*1)
	PREFETCHT1  2560(DX)
	PREFETCHT1  2560(DX)(R9*1)
	PREFETCHT1  2560(DX)(R9*2)
	PREFETCHT1  2560(DX)(R10*1)
	PREFETCHT0  256(R8)
	PREFETCHT0  256(R8)(R12*1)
	PREFETCHT0  256(R8)(R12*2)
	PREFETCHT0  256(R8)(R13*1)
	ADDQ        $64, DX
	VMOVDQU32   (SI), Z0
	VMOVDQU32   (SI)(R9*1), Z1
	VMOVDQU32   (SI)(R9*2), Z2
	VMOVDQU32   (SI)(R10*1), Z3
	VMOVUPS     (DI), Z4
	VPERMPS     Z27, Z0, Z8
	VPERMPS     Z27, Z1, Z9
	VPERMPS     Z27, Z2, Z10
	VPERMPS     Z27, Z3, Z11
	VMULPS      Z4, Z8, Z12
	VMULPS      Z4, Z9, Z13
	VMULPS      Z4, Z10, Z14
	VMULPS      Z4, Z11, Z15
	VMOVUPS     64(DI), Z4
	PLANE4(Z21)
	VMOVUPS     128(DI), Z4
	PLANE4(Z22)
	VMOVUPS     192(DI), Z4
	PLANE4(Z23)
	VMOVUPS     256(DI), Z4
	PLANE4(Z24)
	VMOVUPS     320(DI), Z4
	PLANE4(Z25)
	VMOVUPS     384(DI), Z4
	PLANE4(Z26)
	VMOVUPS     448(DI), Z4
	VPSRLD      $28, Z0, Z8
	VPSRLD      $28, Z1, Z9
	VPSRLD      $28, Z2, Z10
	VPSRLD      $28, Z3, Z11
	VCVTDQ2PS   Z8, Z8
	VCVTDQ2PS   Z9, Z9
	VCVTDQ2PS   Z10, Z10
	VCVTDQ2PS   Z11, Z11
	VFMADD231PS Z4, Z8, Z12
	VFMADD231PS Z4, Z9, Z13
	VFMADD231PS Z4, Z10, Z14
	VFMADD231PS Z4, Z11, Z15

	// The chunk's scales, spread over the lanes of their groups.
	VMOVUPS.Z   (R8), K7, Z5
	VMOVUPS.Z   (R8)(R12*1), K7, Z6
	VMOVUPS.Z   (R8)(R12*2), K7, Z7
	VMOVUPS.Z   (R8)(R13*1), K7, Z8
	VPERMPS     Z5, Z28, Z5
	VPERMPS     Z6, Z28, Z6
	VPERMPS     Z7, Z28, Z7
	VPERMPS     Z8, Z28, Z8
	VFMADD231PS Z5, Z12, Z16
	VFMADD231PS Z6, Z13, Z17
	VFMADD231PS Z7, Z14, Z18
	VFMADD231PS Z8, Z15, Z19
	ADDQ        $64, SI
	ADDQ        $512, DI
	ADDQ        R14, R8
	DECQ        CX
	JNZ         chunk4

bias4:
	MOVQ groups+64(FP), BX
	BIAS4(bias4loop, bias4tail, bias4done)
	VMOVAPS Z16, Z0
	VMOVAPS Z17, Z1
	VMOVAPS Z18, Z2
	VMOVAPS Z19, Z3
	HSUM16(Z0, Y0, X0, Y4, X5)
	HSUM16(Z1, Y1, X1, Y4, X5)
	HSUM16(Z2, Y2, X2, Y4, X5)
	HSUM16(Z3, Y3, X3, Y4, X5)
	MOVQ  out+80(FP), AX
	MOVSS X0, (AX)
	MOVSS X1, 4(AX)
	MOVSS X2, 8(AX)
	MOVSS X3, 12(AX)
	VZEROUPPER
	RET

// PLANE8 adds byte plane k of the four rows' code vectors Z0-Z3, taken
// by DECODE (a mask in place or a shift), times the x plane at O(DI)
// into the rows' sums Z12-Z15 with OP (VMULPS starts them).
#define PLANE8(OP, DECODE, O) \
	VMOVUPS     O(DI), Z4;   \
	DECODE(Z0, Z8);          \
	DECODE(Z1, Z9);          \
	DECODE(Z2, Z10);         \
	DECODE(Z3, Z11);         \
	VCVTDQ2PS   Z8, Z8;      \
	VCVTDQ2PS   Z9, Z9;      \
	VCVTDQ2PS   Z10, Z10;    \
	VCVTDQ2PS   Z11, Z11;    \
	OP          Z4, Z8, Z12; \
	OP          Z4, Z9, Z13; \
	OP          Z4, Z10, Z14; \
	OP          Z4, Z11, Z15

#define BYTE0(S, D) VPANDD Z21, S, D
#define BYTE1(S, D) VPANDD Z22, S, D
#define BYTE2(S, D) VPANDD Z23, S, D
#define BYTE3(S, D) VPSRLD $24, S, D

// CHUNK8 multiplies a chunk of 64 codes of each of the four rows (one
// zmm of 16 words at SI, row stride R9, R10 = 3*R9; lane i holds codes
// 4i..4i+3) with x permuted by permute8x64 at DI into Z12-Z15, starting
// them with OP0, and prefetches the streams' line 512 bytes ahead (R14).
#define CHUNK8(OP0) \
	PREFETCHT0  (R14);                       \
	PREFETCHT0  (R14)(R9*1);                 \
	PREFETCHT0  (R14)(R9*2);                 \
	PREFETCHT0  (R14)(R10*1);                \
	PREFETCHT1  2560(R14);                   \
	PREFETCHT1  2560(R14)(R9*1);             \
	PREFETCHT1  2560(R14)(R9*2);             \
	PREFETCHT1  2560(R14)(R10*1);            \
	VMOVDQU32   (SI), Z0;                    \
	VMOVDQU32   (SI)(R9*1), Z1;              \
	VMOVDQU32   (SI)(R9*2), Z2;              \
	VMOVDQU32   (SI)(R10*1), Z3;             \
	PLANE8(OP0, BYTE0, 0);                   \
	PLANE8(VFMADD231PS, BYTE1, 64);          \
	PLANE8(VFMADD231PS, BYTE2, 128);         \
	PLANE8(VFMADD231PS, BYTE3, 192);         \
	ADDQ        $64, SI;                     \
	ADDQ        $64, R14;                    \
	ADDQ        $256, DI

// func rows4Dot8AVX512(codes *uint32, cstride int, xp *float32, scales, biases *float32, sstride int, xs *float32, groups, chunks int, out *float32)
//
// Four rows of 8-bit codes (cstride bytes apart; scales and biases
// sstride bytes apart) against x permuted by permute8x64: byte plane k of
// a chunk's 16 words is masked in place and converted (x carries 256^-k
// for it; plane 3 is shifted down), as the 4-bit kernel does with
// nibbles, which measured 1.25x the throughput of zero-extending the
// bytes with VPMOVZXBD. With chunks (per group) > 0, each group's sums
// are multiplied by its scale, broadcast from memory, into the row's
// total; with chunks = 0 (group size 32) a chunk holds two groups (lanes
// 0-7 and 8-15) and groups/2 chunks are done, the caller adding an odd
// last group. The bias term Σ_g bias_g*xs_g (xs: the group sums of x) is
// a separate dot over all groups after the codes.
TEXT ·rows4Dot8AVX512(SB), NOSPLIT, $0-80
	MOVQ codes+0(FP), SI
	MOVQ cstride+8(FP), R9
	MOVQ xp+16(FP), DI
	MOVQ scales+24(FP), R8
	MOVQ biases+32(FP), R11
	MOVQ sstride+40(FP), R12
	MOVQ xs+48(FP), AX
	MOVQ groups+56(FP), CX
	MOVQ chunks+64(FP), DX
	LEAQ (R9)(R9*2), R10
	LEAQ (R12)(R12*2), R13
	LEAQ 512(SI), R14                // prefetch pointer
	PFBIAS(pfb8, groups+56(FP))
	MOVQ groups+56(FP), CX
	VPTERNLOGD $0xff, Z21, Z21, Z21
	VPSRLD     $24, Z21, Z21         // 0x000000ff
	VPSLLD     $8, Z21, Z22
	VPSLLD     $8, Z22, Z23          // 0x00ff0000
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	TESTQ  DX, DX
	JZ     pairs8
	TESTQ  CX, CX
	JZ     bias8
	DECQ   DX                        // chunks after a group's first

group8:
	PREFETCHT0 256(R8)
	PREFETCHT0 256(R8)(R12*1)
	PREFETCHT0 256(R8)(R12*2)
	PREFETCHT0 256(R8)(R13*1)
	CHUNK8(VMULPS)
	MOVQ   DX, BX
	TESTQ  BX, BX
	JZ     scale8

chunk8:
	CHUNK8(VFMADD231PS)
	DECQ   BX
	JNZ    chunk8

scale8:
	VFMADD231PS.BCST (R8), Z12, Z16
	VFMADD231PS.BCST (R8)(R12*1), Z13, Z17
	VFMADD231PS.BCST (R8)(R12*2), Z14, Z18
	VFMADD231PS.BCST (R8)(R13*1), Z15, Z19
	ADDQ   $4, R8
	DECQ   CX
	JNZ    group8
	JMP    bias8

pairs8:
	// Group size 32: a chunk is groups 2j (lanes 0-7) and 2j+1 (8-15).
	MOVL   $0xff00, BX
	KMOVW  BX, K2
	SHRQ   $1, CX
	JZ     bias8

pair8:
	PREFETCHT0 256(R8)
	PREFETCHT0 256(R8)(R12*1)
	PREFETCHT0 256(R8)(R12*2)
	PREFETCHT0 256(R8)(R13*1)
	CHUNK8(VMULPS)
	VBROADCASTSS (R8), Z5
	VBROADCASTSS 4(R8), K2, Z5
	VBROADCASTSS (R8)(R12*1), Z6
	VBROADCASTSS 4(R8)(R12*1), K2, Z6
	VBROADCASTSS (R8)(R12*2), Z7
	VBROADCASTSS 4(R8)(R12*2), K2, Z7
	VBROADCASTSS (R8)(R13*1), Z8
	VBROADCASTSS 4(R8)(R13*1), K2, Z8
	VFMADD231PS  Z5, Z12, Z16
	VFMADD231PS  Z6, Z13, Z17
	VFMADD231PS  Z7, Z14, Z18
	VFMADD231PS  Z8, Z15, Z19
	ADDQ   $8, R8
	DECQ   CX
	JNZ    pair8

bias8:
	MOVQ groups+56(FP), BX
	BIAS4(bias8loop, bias8tail, bias8done)
	VMOVAPS Z16, Z0
	VMOVAPS Z17, Z1
	VMOVAPS Z18, Z2
	VMOVAPS Z19, Z3
	HSUM16(Z0, Y0, X0, Y4, X5)
	HSUM16(Z1, Y1, X1, Y4, X5)
	HSUM16(Z2, Y2, X2, Y4, X5)
	HSUM16(Z3, Y3, X3, Y4, X5)
	MOVQ  out+72(FP), AX
	MOVSS X0, (AX)
	MOVSS X1, 4(AX)
	MOVSS X2, 8(AX)
	MOVSS X3, 12(AX)
	VZEROUPPER
	RET
