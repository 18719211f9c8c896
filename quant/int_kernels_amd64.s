//go:build amd64 && !noasm

// Integer row kernels (see intKernel in int_kernels.go): a Q4_0 or Q8_0
// weight row times an input row quantized to 8-bit blocks and packed by
// packQ40 / packQ80 (act_q8.go, which documents the layouts). Each
// block's integer dot is exact; it is converted once and scaled by
// d_w*d_x, 4 (Q4_0) or 8 (Q8_0) lanes per block.

#include "textflag.h"

// Row loop: R8 the current row, R11 the stride, R10 rows left, DX the
// packed input, R12 the blocks per row, R9 the next output.
#define ROWSPROLOG \
	MOVQ rows+0(FP), R8; \
	MOVQ stride+8(FP), R11; \
	MOVQ n+16(FP), R10; \
	MOVQ act+24(FP), DX; \
	MOVQ nb+32(FP), R12; \
	MOVQ y+40(FP), R9

// The *4 kernels' arguments (see below).
#define ROWS4PROLOG \
	MOVQ rows+0(FP), R8; \
	MOVQ stride+8(FP), R11; \
	MOVQ n+16(FP), R10; \
	MOVQ act+24(FP), DX; \
	MOVQ actStride+32(FP), R13; \
	MOVQ nb+40(FP), R12; \
	MOVQ y+48(FP), R9; \
	MOVQ yStride+56(FP), R15; \
	SHLQ $2, R15; \
	LEAQ (R13)(R13*2), R14; \
	LEAQ (R15)(R15*2), BX

#define ROWSTART \
	MOVQ R8, SI; \
	MOVQ DX, DI; \
	MOVQ R12, CX

#define ROWEND(again) \
	MOVSS X0, (R9); \
	ADDQ  $4, R9; \
	ADDQ  R11, R8; \
	DECQ  R10; \
	JNZ   again

// VPERMB indices: the f16 scales of blocks 0-3 of a 72-byte Q4_0 group,
// each repeated 4 times (block L in halves 4L..4L+3).
DATA q40scales<>+0(SB)/8, $0x0100010001000100
DATA q40scales<>+8(SB)/8, $0x1312131213121312
DATA q40scales<>+16(SB)/8, $0x2524252425242524
DATA q40scales<>+24(SB)/8, $0x3736373637363736
DATA q40scales<>+32(SB)/8, $0x0000000000000000
DATA q40scales<>+40(SB)/8, $0x0000000000000000
DATA q40scales<>+48(SB)/8, $0x0000000000000000
DATA q40scales<>+56(SB)/8, $0x0000000000000000
GLOBL q40scales<>(SB), RODATA|NOPTR, $64

// VPERMT2B indices over the group's bytes 0-63 (0-63) and 8-71 (64-127):
// the 16 code bytes of block L at 16L..16L+15.
DATA q40codes<>+0(SB)/8, $0x0908070605040302
DATA q40codes<>+8(SB)/8, $0x11100f0e0d0c0b0a
DATA q40codes<>+16(SB)/8, $0x1b1a191817161514
DATA q40codes<>+24(SB)/8, $0x232221201f1e1d1c
DATA q40codes<>+32(SB)/8, $0x2d2c2b2a29282726
DATA q40codes<>+40(SB)/8, $0x3534333231302f2e
DATA q40codes<>+48(SB)/8, $0x3f3e3d3c3b3a3938
DATA q40codes<>+56(SB)/8, $0x7f7e7d7c7b7a7978
GLOBL q40codes<>(SB), RODATA|NOPTR, $64

// VPSHUFB indices: two f16 scales in the low dword, each repeated 4 times.
DATA scale2x4<>+0(SB)/8, $0x0100010001000100
DATA scale2x4<>+8(SB)/8, $0x0302030203020302
GLOBL scale2x4<>(SB), RODATA|NOPTR, $16

// One Q4_0 group of 4 blocks in Z0 (codes of block L at 16L) and Z1
// (scales, low 32 bytes) against the packed group at DI, into acc.
#define Q40VNNI(acc) \
	VPSRLW      $4, Z0, Z2; \
	VPANDD      Z12, Z0, Z0; \
	VPANDD      Z12, Z2, Z2; \
	VMOVDQU32   128(DI), Z3; \
	VPDPBUSD    (DI), Z0, Z3; \
	VPDPBUSD    64(DI), Z2, Z3; \
	VCVTDQ2PS   Z3, Z3; \
	VCVTPH2PS   Y1, Z1; \
	VMULPS      192(DI), Z1, Z1; \
	VFMADD231PS Z3, Z1, acc

// Loads the Q4_0 group at base into Z0 and Z1, prefetching the stream
// ahead into L1 and L2 (hardware prefetch stops at 4 KiB pages).
#define Q40VNNILOAD(base) \
	PREFETCHT0 1024(base); \
	PREFETCHT1 4096(base); \
	VMOVDQU64  (base), Z0; \
	VPERMB     Z0, Z10, Z1; \
	VPERMT2B   8(base), Z11, Z0

// Q40VNNILOAD into Z20 and Z21 (the second row of a pair).
#define Q40VNNILOAD2(base) \
	PREFETCHT0 1024(base); \
	PREFETCHT1 4096(base); \
	VMOVDQU64  (base), Z20; \
	VPERMB     Z20, Z10, Z21; \
	VPERMT2B   8(base), Z11, Z20

// Q40VNNI for both rows of a pair (Z0/Z1 into Z6, Z20/Z21 into Z7),
// each input vector loaded once for the two.
#define Q40VNNIPAIR \
	VMOVDQU32   128(DI), Z3; \
	VMOVDQA32   Z3, Z23; \
	VMOVDQU32   (DI), Z24; \
	VMOVDQU32   64(DI), Z25; \
	VMOVUPS     192(DI), Z26; \
	VPSRLW      $4, Z0, Z2; \
	VPSRLW      $4, Z20, Z22; \
	VPANDD      Z12, Z0, Z0; \
	VPANDD      Z12, Z2, Z2; \
	VPANDD      Z12, Z20, Z20; \
	VPANDD      Z12, Z22, Z22; \
	VPDPBUSD    Z24, Z0, Z3; \
	VPDPBUSD    Z24, Z20, Z23; \
	VPDPBUSD    Z25, Z2, Z3; \
	VPDPBUSD    Z25, Z22, Z23; \
	VCVTDQ2PS   Z3, Z3; \
	VCVTDQ2PS   Z23, Z23; \
	VCVTPH2PS   Y1, Z1; \
	VCVTPH2PS   Y21, Z21; \
	VMULPS      Z26, Z1, Z1; \
	VMULPS      Z26, Z21, Z21; \
	VFMADD231PS Z3, Z1, Z6; \
	VFMADD231PS Z23, Z21, Z7

// The last 1-3 blocks at base: a masked load of their 18*(nb%4) bytes
// (K1); the rest reads as zeros, zero codes and scales against the zero
// padding of act.
#define Q40VNNITAIL(base) \
	VMOVDQU8.Z (base), K1, Z0; \
	VPERMB     Z0, Z10, Z1; \
	VPERMT2B   Z13, Z11, Z0

// Sums the 16 lanes of acc (accy its low half) into X0.
#define REDUCE512(acc, accy) \
	VEXTRACTF64X4 $1, acc, Y1; \
	VADDPS        Y1, accy, Y0; \
	VEXTRACTF128  $1, Y0, X1; \
	VADDPS        X1, X0, X0; \
	VHADDPS       X0, X0, X0; \
	VHADDPS       X0, X0, X0

// The VNNI kernels run two rows at a time, i and i+n/2, two independent
// streams through memory (one stream reached ~0.6 of a plain read); an
// odd last row runs paired with itself. SI, R13 the two rows, R8 and R14
// their starts, R9 and R15 their outputs, R10 the pairs left, BX set
// while the odd row is still to do.
#define PAIRSETUP \
	MOVQ  R10, BX; \
	ANDQ  $1, BX; \
	SHRQ  $1, R10; \
	MOVQ  R11, R14; \
	IMULQ R10, R14; \
	ADDQ  R8, R14; \
	LEAQ  (R9)(R10*4), R15

#define PAIRSTART \
	MOVQ R8, SI; \
	MOVQ R14, R13; \
	MOVQ DX, DI; \
	MOVQ R12, CX; \
	VPXORD Z6, Z6, Z6; \
	VPXORD Z7, Z7, Z7

#define PAIREND(again, odd) \
	REDUCE512(Z6, Y6); \
	MOVSS X0, (R9); \
	REDUCE512(Z7, Y7); \
	MOVSS X0, (R15); \
	ADDQ  $4, R9; \
	ADDQ  $4, R15; \
	ADDQ  R11, R8; \
	ADDQ  R11, R14; \
	DECQ  R10; \
	JNZ   again; \
odd: \
	TESTQ BX, BX; \
	JZ    6(PC); \
	MOVQ  R14, R8; \
	MOVQ  R15, R9; \
	MOVQ  $1, R10; \
	XORQ  BX, BX; \
	JMP   again

// The kernels below take n weight rows of nb blocks, stride bytes apart,
// and write the n dots with one packed input row to y.

// func dotQ40VNNI(rows *byte, stride, n int, act *byte, nb int, y *float32)
TEXT ·dotQ40VNNI(SB), NOSPLIT, $0-48
	ROWSPROLOG
	VMOVDQU64 q40scales<>(SB), Z10
	VMOVDQU64 q40codes<>(SB), Z11
	MOVL      $0x0f0f0f0f, AX
	VPBROADCASTD AX, Z12
	VPXORD    Z13, Z13, Z13
	MOVQ   R12, CX
	ANDQ   $3, CX
	IMUL3Q $18, CX, CX
	MOVQ   $1, AX
	SHLQ   CX, AX
	DECQ   AX
	KMOVQ  AX, K1
	PAIRSETUP
	TESTQ  R10, R10
	JZ     q40vodd
q40vrow:
	PAIRSTART
q40v4:
	CMPQ CX, $4
	JLT  q40vtail
	Q40VNNILOAD(SI)
	Q40VNNILOAD2(R13)
	Q40VNNIPAIR
	ADDQ $72, SI
	ADDQ $72, R13
	ADDQ $256, DI
	SUBQ $4, CX
	JMP  q40v4
q40vtail:
	TESTQ CX, CX
	JZ    q40vdone
	Q40VNNITAIL(SI)
	Q40VNNI(Z6)
	Q40VNNITAIL(R13)
	Q40VNNI(Z7)
q40vdone:
	PAIREND(q40vrow, q40vodd)
	VZEROUPPER
	RET

// One group of four Q4_0 rows (i, i+h, i+2h, i+3h: SI, SI+R13,
// SI+2*R13, SI+R14): codes into Z0/Z2, Z20/Z22, Z27/Z28, Z29/Z30 (low
// and high nibbles) and scales into Z1, Z21, Z5, Z31; each input vector
// loaded once for the four rows.
#define Q40QUADLOAD(idx, c, s) \
	PREFETCHT0 1024(SI)(idx); \
	PREFETCHT1 4096(SI)(idx); \
	VMOVDQU64  (SI)(idx), c; \
	VPERMB     c, Z10, s; \
	VPERMT2B   8(SI)(idx), Z11, c

#define Q40QUADROW(c, h, sy, sz, t, acc) \
	VPSRLW      $4, c, h; \
	VPANDD      Z12, c, c; \
	VPANDD      Z12, h, h; \
	VMOVDQA32   Z3, t; \
	VPDPBUSD    Z24, c, t; \
	VPDPBUSD    Z25, h, t; \
	VCVTDQ2PS   t, t; \
	VCVTPH2PS   sy, sz; \
	VMULPS      Z26, sz, sz; \
	VFMADD231PS t, sz, acc

// func dotQ40VNNIQuad(rows *byte, stride, n int, act *byte, nb int, y *float32)
//
// dotQ40VNNI for n a multiple of 4 (at least 4): rows i, i+n/4, i+n/2 and
// i+3n/4 per pass, four streams, the input loaded once for the four.
TEXT ·dotQ40VNNIQuad(SB), NOSPLIT, $0-48
	ROWSPROLOG
	VMOVDQU64 q40scales<>(SB), Z10
	VMOVDQU64 q40codes<>(SB), Z11
	MOVL      $0x0f0f0f0f, AX
	VPBROADCASTD AX, Z12
	SHRQ      $2, R10
	JZ        q40qend
	// R13 = h*stride, R14 = 3h*stride, R15 = 4h (bytes of y), BX = 12h.
	MOVQ  R11, R13
	IMULQ R10, R13
	LEAQ  (R13)(R13*2), R14
	LEAQ  (R10*4), R15
	LEAQ  (R15)(R15*2), BX
q40qrow:
	XORQ   AX, AX
	MOVQ   R8, SI
	MOVQ   DX, DI
	MOVQ   R12, CX
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
q40q4:
	CMPQ CX, $4
	JLT  q40qtail
	Q40QUADLOAD(AX*1, Z0, Z1)
	Q40QUADLOAD(R13*1, Z20, Z21)
	Q40QUADLOAD(R13*2, Z27, Z5)
	Q40QUADLOAD(R14*1, Z29, Z31)
	VMOVDQU32   128(DI), Z3
	VMOVDQU32   (DI), Z24
	VMOVDQU32   64(DI), Z25
	VMOVUPS     192(DI), Z26
	Q40QUADROW(Z0, Z2, Y1, Z1, Z4, Z6)
	Q40QUADROW(Z20, Z22, Y21, Z21, Z23, Z7)
	Q40QUADROW(Z27, Z28, Y5, Z5, Z13, Z8)
	Q40QUADROW(Z29, Z30, Y31, Z31, Z14, Z9)
	ADDQ $72, SI
	ADDQ $256, DI
	SUBQ $4, CX
	JMP  q40q4
q40qtail:
	// 1-3 blocks: masked loads (K1 set from nb%4 below the loop start).
	TESTQ CX, CX
	JZ    q40qdone
	IMUL3Q $18, CX, CX
	MOVQ   $1, AX
	SHLQ   CX, AX
	DECQ   AX
	KMOVQ  AX, K1
	VPXORD Z15, Z15, Z15
	VMOVDQU8.Z (SI), K1, Z0
	VPERMB     Z0, Z10, Z1
	VPERMT2B   Z15, Z11, Z0
	VMOVDQU8.Z (SI)(R13*1), K1, Z20
	VPERMB     Z20, Z10, Z21
	VPERMT2B   Z15, Z11, Z20
	VMOVDQU8.Z (SI)(R13*2), K1, Z27
	VPERMB     Z27, Z10, Z5
	VPERMT2B   Z15, Z11, Z27
	VMOVDQU8.Z (SI)(R14*1), K1, Z29
	VPERMB     Z29, Z10, Z31
	VPERMT2B   Z15, Z11, Z29
	VMOVDQU32   128(DI), Z3
	VMOVDQU32   (DI), Z24
	VMOVDQU32   64(DI), Z25
	VMOVUPS     192(DI), Z26
	Q40QUADROW(Z0, Z2, Y1, Z1, Z4, Z6)
	Q40QUADROW(Z20, Z22, Y21, Z21, Z23, Z7)
	Q40QUADROW(Z27, Z28, Y5, Z5, Z13, Z8)
	Q40QUADROW(Z29, Z30, Y31, Z31, Z14, Z9)
q40qdone:
	REDUCE512(Z6, Y6)
	MOVSS X0, (R9)
	REDUCE512(Z7, Y7)
	MOVSS X0, (R9)(R15*1)
	REDUCE512(Z8, Y8)
	MOVSS X0, (R9)(R15*2)
	REDUCE512(Z9, Y9)
	MOVSS X0, (R9)(BX*1)
	ADDQ  $4, R9
	ADDQ  R11, R8
	DECQ  R10
	JNZ   q40qrow
q40qend:
	VZEROUPPER
	RET

// One pair of Q8_0 blocks at base against the packed pair at DI, into
// acc: the codes with their sign bits flipped are unsigned (q+128), and
// the packed initial sums hold -128*Σq_x.
#define Q80VNNI(base, acc) \
	PREFETCHT0   1024(base); \
	PREFETCHT1   4096(base); \
	VMOVDQU      2(base), Y0; \
	VINSERTI64X4 $1, 36(base), Z0, Z0; \
	VPBROADCASTW (base), Y1; \
	VPBROADCASTW 34(base), Y2; \
	Q80VNNIREST(acc)

// Q80VNNI for both rows of a pair (SI into Z6, R13 into Z7), each input
// vector loaded once for the two.
#define Q80VNNIPAIR \
	PREFETCHT0   1024(SI); \
	PREFETCHT1   4096(SI); \
	PREFETCHT0   1024(R13); \
	PREFETCHT1   4096(R13); \
	VMOVDQU      2(SI), Y0; \
	VINSERTI64X4 $1, 36(SI), Z0, Z0; \
	VMOVDQU      2(R13), Y8; \
	VINSERTI64X4 $1, 36(R13), Z8, Z8; \
	VPBROADCASTW (SI), Y1; \
	VPBROADCASTW 34(SI), Y2; \
	VPBROADCASTW (R13), Y9; \
	VPBROADCASTW 34(R13), Y10; \
	VMOVDQU32    64(DI), Z3; \
	VMOVDQA32    Z3, Z23; \
	VMOVDQU32    (DI), Z24; \
	VMOVUPS      128(DI), Z26; \
	VPXORD       Z12, Z0, Z0; \
	VPXORD       Z12, Z8, Z8; \
	VPDPBUSD     Z24, Z0, Z3; \
	VPDPBUSD     Z24, Z8, Z23; \
	VCVTDQ2PS    Z3, Z3; \
	VCVTDQ2PS    Z23, Z23; \
	VPBLENDD     $0xf0, Y2, Y1, Y1; \
	VPBLENDD     $0xf0, Y10, Y9, Y9; \
	VCVTPH2PS    Y1, Z1; \
	VCVTPH2PS    Y9, Z21; \
	VMULPS       Z26, Z1, Z1; \
	VMULPS       Z26, Z21, Z21; \
	VFMADD231PS  Z3, Z1, Z6; \
	VFMADD231PS  Z23, Z21, Z7

// One Q8_0 block at base (the VEX load zeroes the upper half, whose
// flipped codes meet zero padding in act).
#define Q80VNNIONE(base, acc) \
	VMOVDQU      2(base), Y0; \
	VPBROADCASTW (base), Y1; \
	VMOVDQA      Y1, Y2; \
	Q80VNNIREST(acc)

#define Q80VNNIREST(acc) \
	VPXORD       Z12, Z0, Z0; \
	VMOVDQU32    64(DI), Z3; \
	VPDPBUSD     (DI), Z0, Z3; \
	VCVTDQ2PS    Z3, Z3; \
	VPBLENDD     $0xf0, Y2, Y1, Y1; \
	VCVTPH2PS    Y1, Z1; \
	VMULPS       128(DI), Z1, Z1; \
	VFMADD231PS  Z3, Z1, acc

// func dotQ80VNNI(rows *byte, stride, n int, act *byte, nb int, y *float32)
TEXT ·dotQ80VNNI(SB), NOSPLIT, $0-48
	ROWSPROLOG
	MOVL   $0x80808080, AX
	VPBROADCASTD AX, Z12
	PAIRSETUP
	TESTQ  R10, R10
	JZ     q80vodd
q80vrow:
	PAIRSTART
q80v2:
	CMPQ CX, $2
	JLT  q80vtail
	Q80VNNIPAIR
	ADDQ $68, SI
	ADDQ $68, R13
	ADDQ $192, DI
	SUBQ $2, CX
	JMP  q80v2
q80vtail:
	TESTQ CX, CX
	JZ    q80vdone
	Q80VNNIONE(SI, Z6)
	Q80VNNIONE(R13, Z7)
q80vdone:
	PAIREND(q80vrow, q80vodd)
	VZEROUPPER
	RET

// The *4 kernels multiply each of n weight rows with four packed input
// rows actStride bytes apart and write y[r*yStride+i] (r < 4): the
// weights are decoded once for the four (prefill). One weight row at a
// time; the four inputs stay in L1/L2 across rows.
#define ROWS4START \
	XORQ AX, AX; \
	MOVQ R8, SI; \
	MOVQ DX, DI; \
	MOVQ R12, CX; \
	VPXORD Z6, Z6, Z6; \
	VPXORD Z7, Z7, Z7; \
	VPXORD Z8, Z8, Z8; \
	VPXORD Z9, Z9, Z9

#define ROWS4END(again) \
	REDUCE512(Z6, Y6); \
	MOVSS X0, (R9); \
	REDUCE512(Z7, Y7); \
	MOVSS X0, (R9)(R15*1); \
	REDUCE512(Z8, Y8); \
	MOVSS X0, (R9)(R15*2); \
	REDUCE512(Z9, Y9); \
	MOVSS X0, (R9)(BX*1); \
	ADDQ  $4, R9; \
	ADDQ  R11, R8; \
	DECQ  R10; \
	JNZ   again

// (AX is zero in the loop: the index of the first input row.)

// One input row of a Q4_0 group: codes at DI+idx, into acc (Z0/Z2 the
// low and high nibbles, Z1 the group's scales as floats).
#define Q40VNNIIN(idx, t, u, acc) \
	VMOVDQU32   128(DI)(idx), t; \
	VPDPBUSD    (DI)(idx), Z0, t; \
	VPDPBUSD    64(DI)(idx), Z2, t; \
	VCVTDQ2PS   t, t; \
	VMULPS      192(DI)(idx), Z1, u; \
	VFMADD231PS t, u, acc

#define Q40VNNI4 \
	VPSRLW    $4, Z0, Z2; \
	VPANDD    Z12, Z0, Z0; \
	VPANDD    Z12, Z2, Z2; \
	VCVTPH2PS Y1, Z1; \
	Q40VNNIIN(AX*1, Z3, Z4, Z6); \
	Q40VNNIIN(R13*1, Z5, Z14, Z7); \
	Q40VNNIIN(R13*2, Z15, Z16, Z8); \
	Q40VNNIIN(R14*1, Z17, Z18, Z9)

// func dotQ40VNNI4(rows *byte, stride, n int, act *byte, actStride, nb int, y *float32, yStride int)
TEXT ·dotQ40VNNI4(SB), NOSPLIT, $0-64
	ROWS4PROLOG
	VMOVDQU64 q40scales<>(SB), Z10
	VMOVDQU64 q40codes<>(SB), Z11
	MOVL      $0x0f0f0f0f, AX
	VPBROADCASTD AX, Z12
	VPXORD    Z13, Z13, Z13
	MOVQ   R12, CX
	ANDQ   $3, CX
	IMUL3Q $18, CX, CX
	MOVQ   $1, AX
	SHLQ   CX, AX
	DECQ   AX
	KMOVQ  AX, K1
	TESTQ  R10, R10
	JZ     q40v4end
q40v4row:
	ROWS4START
q40v4g:
	CMPQ CX, $4
	JLT  q40v4tail
	Q40VNNILOAD(SI)
	Q40VNNI4
	ADDQ $72, SI
	ADDQ $256, DI
	SUBQ $4, CX
	JMP  q40v4g
q40v4tail:
	TESTQ CX, CX
	JZ    q40v4done
	Q40VNNITAIL(SI)
	Q40VNNI4
q40v4done:
	ROWS4END(q40v4row)
q40v4end:
	VZEROUPPER
	RET

// One input row for two Q4_0 rows (Z0/Z2/Z1 into accA, Z20/Z22/Z21
// into accB): the input's four vectors are loaded once for both.
#define Q40VNNI24IN(idx, accA, accB) \
	VMOVDQU32   128(DI)(idx), Z3; \
	VMOVDQA32   Z3, Z23; \
	VMOVDQU32   (DI)(idx), Z24; \
	VMOVDQU32   64(DI)(idx), Z25; \
	VMOVUPS     192(DI)(idx), Z26; \
	VPDPBUSD    Z24, Z0, Z3; \
	VPDPBUSD    Z24, Z20, Z23; \
	VPDPBUSD    Z25, Z2, Z3; \
	VPDPBUSD    Z25, Z22, Z23; \
	VCVTDQ2PS   Z3, Z3; \
	VCVTDQ2PS   Z23, Z23; \
	VMULPS      Z26, Z1, Z4; \
	VMULPS      Z26, Z21, Z5; \
	VFMADD231PS Z3, Z4, accA; \
	VFMADD231PS Z23, Z5, accB

#define Q40VNNI24 \
	VPSRLW    $4, Z0, Z2; \
	VPSRLW    $4, Z20, Z22; \
	VPANDD    Z12, Z0, Z0; \
	VPANDD    Z12, Z2, Z2; \
	VPANDD    Z12, Z20, Z20; \
	VPANDD    Z12, Z22, Z22; \
	VCVTPH2PS Y1, Z1; \
	VCVTPH2PS Y21, Z21; \
	Q40VNNI24IN(AX*1, Z6, Z14); \
	Q40VNNI24IN(R13*1, Z7, Z15); \
	Q40VNNI24IN(R13*2, Z8, Z16); \
	Q40VNNI24IN(R14*1, Z9, Z17)

// func dotQ40VNNI24(rows *byte, stride, n int, act *byte, actStride, nb int, y *float32, yStride int)
//
// dotQ40VNNI4 for an even n, two adjacent weight rows at a time (each
// input vector loaded once for both: the load ports bound these kernels).
TEXT ·dotQ40VNNI24(SB), NOSPLIT, $0-64
	ROWS4PROLOG
	VMOVDQU64 q40scales<>(SB), Z10
	VMOVDQU64 q40codes<>(SB), Z11
	MOVL      $0x0f0f0f0f, AX
	VPBROADCASTD AX, Z12
	VPXORD    Z13, Z13, Z13
	MOVQ   R12, CX
	ANDQ   $3, CX
	IMUL3Q $18, CX, CX
	MOVQ   $1, AX
	SHLQ   CX, AX
	DECQ   AX
	KMOVQ  AX, K1
	SHRQ   $1, R10
	JZ     q40v24end
q40v24row:
	ROWS4START
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
q40v24g:
	CMPQ CX, $4
	JLT  q40v24tail
	Q40VNNILOAD(SI)
	PREFETCHT0 1024(SI)(R11*1)
	PREFETCHT1 4096(SI)(R11*1)
	VMOVDQU64  (SI)(R11*1), Z20
	VPERMB     Z20, Z10, Z21
	VPERMT2B   8(SI)(R11*1), Z11, Z20
	Q40VNNI24
	ADDQ $72, SI
	ADDQ $256, DI
	SUBQ $4, CX
	JMP  q40v24g
q40v24tail:
	TESTQ CX, CX
	JZ    q40v24done
	Q40VNNITAIL(SI)
	VMOVDQU8.Z (SI)(R11*1), K1, Z20
	VPERMB     Z20, Z10, Z21
	VPERMT2B   Z13, Z11, Z20
	Q40VNNI24
q40v24done:
	REDUCE512(Z6, Y6)
	MOVSS X0, (R9)
	REDUCE512(Z7, Y7)
	MOVSS X0, (R9)(R15*1)
	REDUCE512(Z8, Y8)
	MOVSS X0, (R9)(R15*2)
	REDUCE512(Z9, Y9)
	MOVSS X0, (R9)(BX*1)
	REDUCE512(Z14, Y14)
	MOVSS X0, 4(R9)
	REDUCE512(Z15, Y15)
	MOVSS X0, 4(R9)(R15*1)
	REDUCE512(Z16, Y16)
	MOVSS X0, 4(R9)(R15*2)
	REDUCE512(Z17, Y17)
	MOVSS X0, 4(R9)(BX*1)
	ADDQ  $8, R9
	LEAQ  (R8)(R11*2), R8
	DECQ  R10
	JNZ   q40v24row
q40v24end:
	VZEROUPPER
	RET

// One input row of a Q8_0 pair: codes at DI+idx, into acc (Z0 the
// flipped codes, Z1 the pair's scales as floats).
#define Q80VNNIIN(idx, t, u, acc) \
	VMOVDQU32   64(DI)(idx), t; \
	VPDPBUSD    (DI)(idx), Z0, t; \
	VCVTDQ2PS   t, t; \
	VMULPS      128(DI)(idx), Z1, u; \
	VFMADD231PS t, u, acc

#define Q80VNNI4 \
	VPXORD       Z12, Z0, Z0; \
	VPBLENDD     $0xf0, Y2, Y1, Y1; \
	VCVTPH2PS    Y1, Z1; \
	Q80VNNIIN(AX*1, Z3, Z4, Z6); \
	Q80VNNIIN(R13*1, Z5, Z14, Z7); \
	Q80VNNIIN(R13*2, Z15, Z16, Z8); \
	Q80VNNIIN(R14*1, Z17, Z18, Z9)

// func dotQ80VNNI4(rows *byte, stride, n int, act *byte, actStride, nb int, y *float32, yStride int)
TEXT ·dotQ80VNNI4(SB), NOSPLIT, $0-64
	ROWS4PROLOG
	MOVL   $0x80808080, AX
	VPBROADCASTD AX, Z12
	TESTQ  R10, R10
	JZ     q80v4end
q80v4row:
	ROWS4START
q80v4p:
	CMPQ CX, $2
	JLT  q80v4tail
	PREFETCHT0   1024(SI)
	PREFETCHT1   4096(SI)
	VMOVDQU      2(SI), Y0
	VINSERTI64X4 $1, 36(SI), Z0, Z0
	VPBROADCASTW (SI), Y1
	VPBROADCASTW 34(SI), Y2
	Q80VNNI4
	ADDQ $68, SI
	ADDQ $192, DI
	SUBQ $2, CX
	JMP  q80v4p
q80v4tail:
	TESTQ CX, CX
	JZ    q80v4done
	VMOVDQU      2(SI), Y0
	VPBROADCASTW (SI), Y1
	VMOVDQA      Y1, Y2
	Q80VNNI4
q80v4done:
	ROWS4END(q80v4row)
q80v4end:
	VZEROUPPER
	RET

// One input row for two Q8_0 rows (Z0/Z1 into accA, Z20/Z21 into accB).
#define Q80VNNI24IN(idx, accA, accB) \
	VMOVDQU32   64(DI)(idx), Z3; \
	VMOVDQA32   Z3, Z23; \
	VMOVDQU32   (DI)(idx), Z24; \
	VMOVUPS     128(DI)(idx), Z26; \
	VPDPBUSD    Z24, Z0, Z3; \
	VPDPBUSD    Z24, Z20, Z23; \
	VCVTDQ2PS   Z3, Z3; \
	VCVTDQ2PS   Z23, Z23; \
	VMULPS      Z26, Z1, Z4; \
	VMULPS      Z26, Z21, Z5; \
	VFMADD231PS Z3, Z4, accA; \
	VFMADD231PS Z23, Z5, accB

// The codes of two rows in Z0 and Z8 (to flip), their scales in Y1/Y2
// and Y9/Y10 (to blend).
#define Q80VNNI24 \
	VPXORD       Z12, Z0, Z0; \
	VPXORD       Z12, Z8, Z20; \
	VPBLENDD     $0xf0, Y2, Y1, Y1; \
	VPBLENDD     $0xf0, Y10, Y9, Y9; \
	VCVTPH2PS    Y1, Z1; \
	VCVTPH2PS    Y9, Z21; \
	Q80VNNI24IN(AX*1, Z6, Z14); \
	Q80VNNI24IN(R13*1, Z7, Z15); \
	Q80VNNI24IN(R13*2, Z18, Z16); \
	Q80VNNI24IN(R14*1, Z19, Z17)

// func dotQ80VNNI24(rows *byte, stride, n int, act *byte, actStride, nb int, y *float32, yStride int)
//
// dotQ80VNNI4 for an even n, two adjacent weight rows at a time.
TEXT ·dotQ80VNNI24(SB), NOSPLIT, $0-64
	ROWS4PROLOG
	MOVL   $0x80808080, AX
	VPBROADCASTD AX, Z12
	SHRQ   $1, R10
	JZ     q80v24end
q80v24row:
	ROWS4START
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
q80v24p:
	CMPQ CX, $2
	JLT  q80v24tail
	PREFETCHT0   1024(SI)
	PREFETCHT1   4096(SI)
	PREFETCHT0   1024(SI)(R11*1)
	PREFETCHT1   4096(SI)(R11*1)
	VMOVDQU      2(SI), Y0
	VINSERTI64X4 $1, 36(SI), Z0, Z0
	VMOVDQU      2(SI)(R11*1), Y8
	VINSERTI64X4 $1, 36(SI)(R11*1), Z8, Z8
	VPBROADCASTW (SI), Y1
	VPBROADCASTW 34(SI), Y2
	VPBROADCASTW (SI)(R11*1), Y9
	VPBROADCASTW 34(SI)(R11*1), Y10
	Q80VNNI24
	ADDQ $68, SI
	ADDQ $192, DI
	SUBQ $2, CX
	JMP  q80v24p
q80v24tail:
	TESTQ CX, CX
	JZ    q80v24done
	VMOVDQU      2(SI), Y0
	VMOVDQU      2(SI)(R11*1), Y8
	VPBROADCASTW (SI), Y1
	VMOVDQA      Y1, Y2
	VPBROADCASTW (SI)(R11*1), Y9
	VMOVDQA      Y9, Y10
	Q80VNNI24
q80v24done:
	REDUCE512(Z6, Y6)
	MOVSS X0, (R9)
	REDUCE512(Z7, Y7)
	MOVSS X0, (R9)(R15*1)
	REDUCE512(Z18, Y18)
	MOVSS X0, (R9)(R15*2)
	REDUCE512(Z19, Y19)
	MOVSS X0, (R9)(BX*1)
	REDUCE512(Z14, Y14)
	MOVSS X0, 4(R9)
	REDUCE512(Z15, Y15)
	MOVSS X0, 4(R9)(R15*1)
	REDUCE512(Z16, Y16)
	MOVSS X0, 4(R9)(R15*2)
	REDUCE512(Z17, Y17)
	MOVSS X0, 4(R9)(BX*1)
	ADDQ  $8, R9
	LEAQ  (R8)(R11*2), R8
	DECQ  R10
	JNZ   q80v24row
q80v24end:
	VZEROUPPER
	RET

// Two Q4_0 blocks at a and b (bytes from SI) against the packed group at
// DI (low codes at lo, high at lo+64, initial sums at lo+128, scales at
// lo+192), into acc. VPMADDUBSW cannot saturate: 2*15*127 < 2^15.
#define Q40AVX2PAIR(a, b, lo, acc) \
	VMOVDQU     a+2(SI), X0; \
	VINSERTI128 $1, b+2(SI), Y0, Y0; \
	MOVWLZX     a(SI), AX; \
	MOVWLZX     b(SI), BX; \
	SHLL        $16, BX; \
	ORL         BX, AX; \
	Q40AVX2REST(lo, acc)

// One Q4_0 block at a (the pair's second block zero).
#define Q40AVX2ONE(a, lo, acc) \
	VMOVDQU a+2(SI), X0; \
	MOVWLZX a(SI), AX; \
	Q40AVX2REST(lo, acc)

#define Q40AVX2REST(lo, acc) \
	VPSRLW      $4, Y0, Y2; \
	VPAND       Y12, Y0, Y0; \
	VPAND       Y12, Y2, Y2; \
	VPMADDUBSW  lo(DI), Y0, Y0; \
	VPMADDUBSW  lo+64(DI), Y2, Y2; \
	VPADDW      Y2, Y0, Y0; \
	VPMADDWD    Y13, Y0, Y0; \
	VPADDD      lo+128(DI), Y0, Y0; \
	VCVTDQ2PS   Y0, Y0; \
	VMOVD       AX, X1; \
	VPSHUFB     X14, X1, X1; \
	VCVTPH2PS   X1, Y1; \
	VMULPS      lo+192(DI), Y1, Y1; \
	VFMADD231PS Y0, Y1, acc

// func dotQ40AVX2Int(rows *byte, stride, n int, act *byte, nb int, y *float32)
TEXT ·dotQ40AVX2Int(SB), NOSPLIT, $0-48
	ROWSPROLOG
	MOVL  $0x0f0f0f0f, AX
	VMOVD AX, X12
	VPBROADCASTD X12, Y12
	MOVL  $0x00010001, AX
	VMOVD AX, X13
	VPBROADCASTD X13, Y13
	VMOVDQU scale2x4<>(SB), X14
	TESTQ R10, R10
	JZ    q40aend
q40arow:
	ROWSTART
	VPXOR Y6, Y6, Y6
	VPXOR Y7, Y7, Y7
q40a4:
	CMPQ CX, $4
	JLT  q40atail
	Q40AVX2PAIR(0, 18, 0, Y6)
	Q40AVX2PAIR(36, 54, 32, Y7)
	ADDQ $72, SI
	ADDQ $256, DI
	SUBQ $4, CX
	JMP  q40a4
q40atail:
	CMPQ CX, $1
	JLT  q40adone
	JEQ  q40a1
	Q40AVX2PAIR(0, 18, 0, Y6)
	CMPQ CX, $3
	JLT  q40adone
	Q40AVX2ONE(36, 32, Y7)
	JMP  q40adone
q40a1:
	Q40AVX2ONE(0, 0, Y6)
q40adone:
	VADDPS       Y7, Y6, Y6
	VEXTRACTF128 $1, Y6, X1
	VADDPS       X1, X6, X0
	VHADDPS      X0, X0, X0
	VHADDPS      X0, X0, X0
	ROWEND(q40arow)
q40aend:
	VZEROUPPER
	RET

// One Q8_0 block at a against the packed codes at DI+x and scales at
// DI+s, into acc: |q_w| times q_x with q_w's sign (VPMADDUBSW sums
// at most 2*128*127 < 2^15).
#define Q80AVX2(a, x, s, acc) \
	VMOVDQU      a+2(SI), Y0; \
	VMOVDQU      x(DI), Y3; \
	VPABSB       Y0, Y1; \
	VPSIGNB      Y0, Y3, Y3; \
	VPMADDUBSW   Y3, Y1, Y2; \
	VPMADDWD     Y13, Y2, Y2; \
	VCVTDQ2PS    Y2, Y2; \
	VPBROADCASTW a(SI), X1; \
	VCVTPH2PS    X1, Y1; \
	VMULPS       s(DI), Y1, Y1; \
	VFMADD231PS  Y2, Y1, acc

// func dotQ80AVX2Int(rows *byte, stride, n int, act *byte, nb int, y *float32)
TEXT ·dotQ80AVX2Int(SB), NOSPLIT, $0-48
	ROWSPROLOG
	MOVL  $0x00010001, AX
	VMOVD AX, X13
	VPBROADCASTD X13, Y13
	TESTQ R10, R10
	JZ    q80aend
q80arow:
	ROWSTART
	VPXOR Y6, Y6, Y6
	VPXOR Y7, Y7, Y7
q80a2:
	CMPQ CX, $2
	JLT  q80atail
	Q80AVX2(0, 0, 128, Y6)
	Q80AVX2(34, 32, 160, Y7)
	ADDQ $68, SI
	ADDQ $192, DI
	SUBQ $2, CX
	JMP  q80a2
q80atail:
	TESTQ CX, CX
	JZ    q80adone
	Q80AVX2(0, 0, 128, Y6)
q80adone:
	VADDPS       Y7, Y6, Y6
	VEXTRACTF128 $1, Y6, X1
	VADDPS       X1, X6, X0
	VHADDPS      X0, X0, X0
	VHADDPS      X0, X0, X0
	ROWEND(q80arow)
q80aend:
	VZEROUPPER
	RET

// Q6_K: word shift counts that bring qh's bit pairs 0-1 / 2-3 (left)
// and 4-5 / 6-7 (right) to bits 4-5, per 256-bit half.
DATA q6shl<>+0(SB)/8, $0x0004000400040004
DATA q6shl<>+8(SB)/8, $0x0004000400040004
DATA q6shl<>+16(SB)/8, $0x0004000400040004
DATA q6shl<>+24(SB)/8, $0x0004000400040004
DATA q6shl<>+32(SB)/8, $0x0002000200020002
DATA q6shl<>+40(SB)/8, $0x0002000200020002
DATA q6shl<>+48(SB)/8, $0x0002000200020002
DATA q6shl<>+56(SB)/8, $0x0002000200020002
GLOBL q6shl<>(SB), RODATA|NOPTR, $64

DATA q6shr<>+0(SB)/8, $0x0000000000000000
DATA q6shr<>+8(SB)/8, $0x0000000000000000
DATA q6shr<>+16(SB)/8, $0x0000000000000000
DATA q6shr<>+24(SB)/8, $0x0000000000000000
DATA q6shr<>+32(SB)/8, $0x0002000200020002
DATA q6shr<>+40(SB)/8, $0x0002000200020002
DATA q6shr<>+48(SB)/8, $0x0002000200020002
DATA q6shr<>+56(SB)/8, $0x0002000200020002
GLOBL q6shr<>(SB), RODATA|NOPTR, $64

// Q6_K: VPERMPS indices spreading sub-block scale 4z+s over lanes 4s..4s+3.
DATA q6perm<>+0(SB)/8, $0x0000000000000000
DATA q6perm<>+8(SB)/8, $0x0000000000000000
DATA q6perm<>+16(SB)/8, $0x0000000100000001
DATA q6perm<>+24(SB)/8, $0x0000000100000001
DATA q6perm<>+32(SB)/8, $0x0000000200000002
DATA q6perm<>+40(SB)/8, $0x0000000200000002
DATA q6perm<>+48(SB)/8, $0x0000000300000003
DATA q6perm<>+56(SB)/8, $0x0000000300000003
DATA q6perm<>+64(SB)/8, $0x0000000400000004
DATA q6perm<>+72(SB)/8, $0x0000000400000004
DATA q6perm<>+80(SB)/8, $0x0000000500000005
DATA q6perm<>+88(SB)/8, $0x0000000500000005
DATA q6perm<>+96(SB)/8, $0x0000000600000006
DATA q6perm<>+104(SB)/8, $0x0000000600000006
DATA q6perm<>+112(SB)/8, $0x0000000700000007
DATA q6perm<>+120(SB)/8, $0x0000000700000007
DATA q6perm<>+128(SB)/8, $0x0000000800000008
DATA q6perm<>+136(SB)/8, $0x0000000800000008
DATA q6perm<>+144(SB)/8, $0x0000000900000009
DATA q6perm<>+152(SB)/8, $0x0000000900000009
DATA q6perm<>+160(SB)/8, $0x0000000a0000000a
DATA q6perm<>+168(SB)/8, $0x0000000a0000000a
DATA q6perm<>+176(SB)/8, $0x0000000b0000000b
DATA q6perm<>+184(SB)/8, $0x0000000b0000000b
DATA q6perm<>+192(SB)/8, $0x0000000c0000000c
DATA q6perm<>+200(SB)/8, $0x0000000c0000000c
DATA q6perm<>+208(SB)/8, $0x0000000d0000000d
DATA q6perm<>+216(SB)/8, $0x0000000d0000000d
DATA q6perm<>+224(SB)/8, $0x0000000e0000000e
DATA q6perm<>+232(SB)/8, $0x0000000e0000000e
DATA q6perm<>+240(SB)/8, $0x0000000f0000000f
DATA q6perm<>+248(SB)/8, $0x0000000f0000000f
GLOBL q6perm<>(SB), RODATA|NOPTR, $256

// func dotQ6KVNNI(rows *byte, stride, n int, act *byte, nb int, y *float32)
//
// Q6_K rows against an input packed by packQ6K: per 64-value quarter the
// 6-bit codes (low nibbles of ql for values 0-63 of a half, high ones for
// 64-127; qh's bit pairs shifted to bits 4-5 and merged with
// VPTERNLOGD) meet the input codes in VPDPBUSD from the packed -32*Σq_x,
// so each 128-bit lane holds a quarter of one 16-value sub-block's
// integer sum; it is scaled by d_x and d*sc.
TEXT ·dotQ6KVNNI(SB), NOSPLIT, $0-48
	ROWSPROLOG
	MOVL      $0x0f0f0f0f, AX
	VPBROADCASTD AX, Z12
	MOVL      $0x30303030, AX
	VPBROADCASTD AX, Z13
	VMOVDQU64 q6shl<>(SB), Z14
	VMOVDQU64 q6shr<>(SB), Z15
	VMOVDQU64 q6perm<>+0(SB), Z16
	VMOVDQU64 q6perm<>+64(SB), Z17
	VMOVDQU64 q6perm<>+128(SB), Z18
	VMOVDQU64 q6perm<>+192(SB), Z19
	TESTQ R10, R10
	JZ    q6vend
q6vrow:
	ROWSTART
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	TESTQ CX, CX
	JZ    q6vdone
q6vblock:
	PREFETCHT0   1024(SI)
	PREFETCHT0   1088(SI)
	PREFETCHT0   1152(SI)
	PREFETCHT0   1216(SI)
	// The block's 16 sub-block scales as floats times d.
	VPMOVSXBD    192(SI), Z20
	VCVTDQ2PS    Z20, Z20
	VPBROADCASTW 208(SI), Y21
	VCVTPH2PS    Y21, Z21
	VMULPS       Z21, Z20, Z20
	VMOVDQU64       0(SI), Z0
	VPSRLW          $4, Z0, Z2
	VPANDD          Z12, Z0, Z0
	VPANDD          Z12, Z2, Z2
	VBROADCASTI64X4 128(SI), Z3
	VPSLLVW         Z14, Z3, Z4
	VPSRLVW         Z15, Z3, Z5
	VPTERNLOGD      $0xea, Z0, Z13, Z4
	VPTERNLOGD      $0xea, Z2, Z13, Z5
	VMOVDQU32   256(DI), Z6
	VPDPBUSD    0(DI), Z4, Z6
	VCVTDQ2PS   Z6, Z6
	VMULPS      512(DI), Z6, Z6
	VPERMPS     Z20, Z16, Z7
	VFMADD231PS Z6, Z7, Z8
	VMOVDQU32   320(DI), Z6
	VPDPBUSD    64(DI), Z5, Z6
	VCVTDQ2PS   Z6, Z6
	VMULPS      576(DI), Z6, Z6
	VPERMPS     Z20, Z17, Z7
	VFMADD231PS Z6, Z7, Z9
	VMOVDQU64       64(SI), Z0
	VPSRLW          $4, Z0, Z2
	VPANDD          Z12, Z0, Z0
	VPANDD          Z12, Z2, Z2
	VBROADCASTI64X4 160(SI), Z3
	VPSLLVW         Z14, Z3, Z4
	VPSRLVW         Z15, Z3, Z5
	VPTERNLOGD      $0xea, Z0, Z13, Z4
	VPTERNLOGD      $0xea, Z2, Z13, Z5
	VMOVDQU32   384(DI), Z6
	VPDPBUSD    128(DI), Z4, Z6
	VCVTDQ2PS   Z6, Z6
	VMULPS      640(DI), Z6, Z6
	VPERMPS     Z20, Z18, Z7
	VFMADD231PS Z6, Z7, Z8
	VMOVDQU32   448(DI), Z6
	VPDPBUSD    192(DI), Z5, Z6
	VCVTDQ2PS   Z6, Z6
	VMULPS      704(DI), Z6, Z6
	VPERMPS     Z20, Z19, Z7
	VFMADD231PS Z6, Z7, Z9
	ADDQ $210, SI
	ADDQ $768, DI
	DECQ CX
	JNZ  q6vblock
q6vdone:
	VADDPS Z9, Z8, Z8
	REDUCE512(Z8, Y8)
	ROWEND(q6vrow)
q6vend:
	VZEROUPPER
	RET

// func prefetchL2AMD64(p uintptr, n int)
TEXT ·prefetchL2AMD64(SB), NOSPLIT, $0-16
	MOVQ       p+0(FP), SI
	MOVQ       n+8(FP), CX
	ADDQ       SI, CX
prefetchL2AMD64loop:
	CMPQ       SI, CX
	JAE        prefetchL2AMD64done
	PREFETCHT1 (SI)
	PREFETCHT1 64(SI)
	ADDQ       $128, SI
	JMP        prefetchL2AMD64loop
prefetchL2AMD64done:
	RET
