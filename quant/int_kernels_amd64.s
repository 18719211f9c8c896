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

#define Q40VNNILOAD \
	VMOVDQU64 (SI), Z0; \
	VPERMB    Z0, Z10, Z1; \
	VPERMT2B  8(SI), Z11, Z0

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
	// The mask of the last 1-3 blocks' 18*(nb%4) bytes.
	MOVQ   R12, CX
	ANDQ   $3, CX
	IMUL3Q $18, CX, CX
	MOVQ   $1, BX
	SHLQ   CX, BX
	DECQ   BX
	KMOVQ  BX, K1
	TESTQ  R10, R10
	JZ     q40vend
q40vrow:
	ROWSTART
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
q40v8:
	// Two groups per pass into two accumulators.
	CMPQ CX, $8
	JLT  q40v4
	Q40VNNILOAD
	Q40VNNI(Z6)
	ADDQ $72, SI
	ADDQ $256, DI
	Q40VNNILOAD
	Q40VNNI(Z7)
	ADDQ $72, SI
	ADDQ $256, DI
	SUBQ $8, CX
	JMP  q40v8
q40v4:
	CMPQ CX, $4
	JLT  q40vtail
	Q40VNNILOAD
	Q40VNNI(Z6)
	ADDQ $72, SI
	ADDQ $256, DI
	SUBQ $4, CX
q40vtail:
	// 1-3 blocks: a masked load of their 18*CX bytes (the rest reads as
	// zeros: zero codes and scales against the zero padding of act).
	TESTQ  CX, CX
	JZ     q40vdone
	VMOVDQU8.Z (SI), K1, Z0
	VPERMB   Z0, Z10, Z1
	VPERMT2B Z13, Z11, Z0
	Q40VNNI(Z6)
q40vdone:
	VADDPS        Z7, Z6, Z6
	VEXTRACTF64X4 $1, Z6, Y1
	VADDPS        Y1, Y6, Y0
	VEXTRACTF128  $1, Y0, X1
	VADDPS        X1, X0, X0
	VHADDPS       X0, X0, X0
	VHADDPS       X0, X0, X0
	ROWEND(q40vrow)
q40vend:
	VZEROUPPER
	RET

// One pair of Q8_0 blocks at SI against the packed pair at DI, into acc:
// the codes with their sign bits flipped are unsigned (q+128), and the
// packed initial sums hold -128*Σq_x.
#define Q80VNNI(acc) \
	VMOVDQU      2(SI), Y0; \
	VINSERTI64X4 $1, 36(SI), Z0, Z0; \
	VPXORD       Z12, Z0, Z0; \
	VMOVDQU32    64(DI), Z3; \
	VPDPBUSD     (DI), Z0, Z3; \
	VCVTDQ2PS    Z3, Z3; \
	VPBROADCASTW (SI), Y1; \
	VPBROADCASTW 34(SI), Y2; \
	VPBLENDD     $0xf0, Y2, Y1, Y1; \
	VCVTPH2PS    Y1, Z1; \
	VMULPS       128(DI), Z1, Z1; \
	VFMADD231PS  Z3, Z1, acc

// func dotQ80VNNI(rows *byte, stride, n int, act *byte, nb int, y *float32)
TEXT ·dotQ80VNNI(SB), NOSPLIT, $0-48
	ROWSPROLOG
	MOVL   $0x80808080, AX
	VPBROADCASTD AX, Z12
	TESTQ  R10, R10
	JZ     q80vend
q80vrow:
	ROWSTART
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
q80v4:
	CMPQ CX, $4
	JLT  q80v2
	Q80VNNI(Z6)
	ADDQ $68, SI
	ADDQ $192, DI
	Q80VNNI(Z7)
	ADDQ $68, SI
	ADDQ $192, DI
	SUBQ $4, CX
	JMP  q80v4
q80v2:
	CMPQ CX, $2
	JLT  q80vtail
	Q80VNNI(Z6)
	ADDQ $68, SI
	ADDQ $192, DI
	SUBQ $2, CX
q80vtail:
	// One block: the VEX load zeroes the upper half, whose flipped
	// codes meet zero padding in act.
	TESTQ CX, CX
	JZ    q80vdone
	VMOVDQU      2(SI), Y0
	VPXORD       Z12, Z0, Z0
	VMOVDQU32    64(DI), Z3
	VPDPBUSD     (DI), Z0, Z3
	VCVTDQ2PS    Z3, Z3
	VPBROADCASTW (SI), Y1
	VCVTPH2PS    Y1, Z1
	VMULPS       128(DI), Z1, Z1
	VFMADD231PS  Z3, Z1, Z6
q80vdone:
	VADDPS        Z7, Z6, Z6
	VEXTRACTF64X4 $1, Z6, Y1
	VADDPS        Y1, Y6, Y0
	VEXTRACTF128  $1, Y0, X1
	VADDPS        X1, X0, X0
	VHADDPS       X0, X0, X0
	VHADDPS       X0, X0, X0
	ROWEND(q80vrow)
q80vend:
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
