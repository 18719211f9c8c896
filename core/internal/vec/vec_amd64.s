//go:build !noasm

#include "textflag.h"

// AVX-512 bodies of package vec. Every function handles n elements, n a
// multiple of 16; the Go wrappers run the remainder through the reference.

// Constants of the exp approximation (Cephes expf): range reduction by
// ln 2 split in a high and a low part, a degree-5 polynomial on the
// reduced argument, and VSCALEFPS for the 2^n factor (which also yields
// +Inf and 0 at the ends of the range without further tests).
DATA expc<>+0(SB)/4, $1.44269504088896341   // log2(e)
DATA expc<>+4(SB)/4, $0.693359375           // ln2 high
DATA expc<>+8(SB)/4, $-2.12194440e-4        // ln2 low
DATA expc<>+12(SB)/4, $89.0                 // above: +Inf
DATA expc<>+16(SB)/4, $-104.0               // below: 0
DATA expc<>+20(SB)/4, $1.9875691500e-4
DATA expc<>+24(SB)/4, $1.3981999507e-3
DATA expc<>+28(SB)/4, $8.3334519073e-3
DATA expc<>+32(SB)/4, $4.1665795894e-2
DATA expc<>+36(SB)/4, $1.6666665459e-1
DATA expc<>+40(SB)/4, $5.0000001201e-1
DATA expc<>+44(SB)/4, $1.0
DATA expc<>+48(SB)/4, $-1.0
DATA expc<>+52(SB)/4, $-1.5957691216057308  // -2·sqrt(2/π)
DATA expc<>+56(SB)/4, $0.044715
GLOBL expc<>(SB), RODATA|NOPTR, $60

#define LOADEXPC \
	VBROADCASTSS expc<>+0(SB), Z16; \
	VBROADCASTSS expc<>+4(SB), Z17; \
	VBROADCASTSS expc<>+8(SB), Z18; \
	VBROADCASTSS expc<>+12(SB), Z19; \
	VBROADCASTSS expc<>+16(SB), Z20; \
	VBROADCASTSS expc<>+20(SB), Z21; \
	VBROADCASTSS expc<>+24(SB), Z22; \
	VBROADCASTSS expc<>+28(SB), Z23; \
	VBROADCASTSS expc<>+32(SB), Z24; \
	VBROADCASTSS expc<>+36(SB), Z25; \
	VBROADCASTSS expc<>+40(SB), Z26; \
	VBROADCASTSS expc<>+44(SB), Z27

// EXP replaces x by exp(x); t, u, w are scratch. The clamps take x as
// the operand returned for NaN, so NaN propagates.
#define EXP(x, t, u, w) \
	VMINPS       x, Z19, x; \
	VMAXPS       x, Z20, x; \
	VMULPS       Z16, x, t; \
	VRNDSCALEPS  $0, t, t; \
	VFNMADD231PS Z17, t, x; \
	VFNMADD231PS Z18, t, x; \
	VMOVAPS      Z21, u; \
	VFMADD213PS  Z22, x, u; \
	VFMADD213PS  Z23, x, u; \
	VFMADD213PS  Z24, x, u; \
	VFMADD213PS  Z25, x, u; \
	VFMADD213PS  Z26, x, u; \
	VMULPS       x, x, w; \
	VFMADD213PS  x, w, u; \
	VADDPS       Z27, u, u; \
	VSCALEFPS    t, u, x

// func expAVX512(n int, dst, src *float32)
TEXT ·expAVX512(SB), NOSPLIT, $0-24
	MOVQ n+0(FP), CX
	MOVQ dst+8(FP), DI
	MOVQ src+16(FP), SI
	LOADEXPC

	// Four vectors per iteration: the exp chain is ~16 dependent
	// instructions, so independent chains are what fills the pipes.
exp4:
	CMPQ    CX, $64
	JLT     exploop
	VMOVUPS (SI), Z0
	VMOVUPS 64(SI), Z4
	VMOVUPS 128(SI), Z8
	VMOVUPS 192(SI), Z12
	EXP(Z0, Z1, Z2, Z3)
	EXP(Z4, Z5, Z6, Z7)
	EXP(Z8, Z9, Z10, Z11)
	EXP(Z12, Z13, Z14, Z15)
	VMOVUPS Z0, (DI)
	VMOVUPS Z4, 64(DI)
	VMOVUPS Z8, 128(DI)
	VMOVUPS Z12, 192(DI)
	ADDQ    $256, SI
	ADDQ    $256, DI
	SUBQ    $64, CX
	JMP     exp4

exploop:
	TESTQ   CX, CX
	JZ      expdone
	VMOVUPS (SI), Z0
	EXP(Z0, Z1, Z2, Z3)
	VMOVUPS Z0, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	SUBQ    $16, CX
	JMP     exploop

expdone:
	VZEROUPPER
	RET

// func siluAVX512(n int, dst, src *float32)
// dst = x / (1 + exp(-x))
TEXT ·siluAVX512(SB), NOSPLIT, $0-24
	MOVQ         n+0(FP), CX
	MOVQ         dst+8(FP), DI
	MOVQ         src+16(FP), SI
	LOADEXPC
	VBROADCASTSS expc<>+48(SB), Z15

siluloop:
	TESTQ   CX, CX
	JZ      siludone
	VMOVUPS (SI), Z0
	VMULPS  Z15, Z0, Z4
	EXP(Z4, Z1, Z2, Z3)
	VADDPS  Z27, Z4, Z4
	VDIVPS  Z4, Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	SUBQ    $16, CX
	JMP     siluloop

siludone:
	VZEROUPPER
	RET

// func geluAVX512(n int, dst, src *float32)
// tanh form: 0.5·x·(1+tanh(z)) = x / (1 + exp(-2z)),
// z = sqrt(2/π)·(x + 0.044715·x³)
TEXT ·geluAVX512(SB), NOSPLIT, $0-24
	MOVQ         n+0(FP), CX
	MOVQ         dst+8(FP), DI
	MOVQ         src+16(FP), SI
	LOADEXPC
	VBROADCASTSS expc<>+52(SB), Z14
	VBROADCASTSS expc<>+56(SB), Z15

geluloop:
	TESTQ       CX, CX
	JZ          geludone
	VMOVUPS     (SI), Z0
	VMULPS      Z0, Z0, Z4
	VMULPS      Z15, Z4, Z4
	VFMADD213PS Z0, Z0, Z4
	VMULPS      Z14, Z4, Z4
	EXP(Z4, Z1, Z2, Z3)
	VADDPS      Z27, Z4, Z4
	VDIVPS      Z4, Z0, Z0
	VMOVUPS     Z0, (DI)
	ADDQ        $64, SI
	ADDQ        $64, DI
	SUBQ        $16, CX
	JMP         geluloop

geludone:
	VZEROUPPER
	RET

// func expSubSumAVX512(n int, dst, src *float32, m float32) float32
// dst = exp(src - m); returns the sum of dst.
TEXT ·expSubSumAVX512(SB), NOSPLIT, $0-36
	MOVQ         n+0(FP), CX
	MOVQ         dst+8(FP), DI
	MOVQ         src+16(FP), SI
	VBROADCASTSS m+24(FP), Z15
	LOADEXPC
	VPXORD       Z8, Z8, Z8

essloop:
	TESTQ   CX, CX
	JZ      essdone
	VMOVUPS (SI), Z0
	VSUBPS  Z15, Z0, Z0
	EXP(Z0, Z1, Z2, Z3)
	VMOVUPS Z0, (DI)
	VADDPS  Z0, Z8, Z8
	ADDQ    $64, SI
	ADDQ    $64, DI
	SUBQ    $16, CX
	JMP     essloop

essdone:
	VEXTRACTF32X8 $1, Z8, Y1
	VADDPS        Y1, Y8, Y8
	VEXTRACTF128  $1, Y8, X1
	VADDPS        X1, X8, X8
	VHADDPS       X8, X8, X8
	VHADDPS       X8, X8, X8
	MOVSS         X8, ret+32(FP)
	VZEROUPPER
	RET

// func maxAVX512(n int, src *float32) float32
// n >= 16. Which value wins against a NaN does not matter to softmax: a
// NaN anywhere in the row makes the sum, and so every output, NaN.
TEXT ·maxAVX512(SB), NOSPLIT, $0-20
	MOVQ    n+0(FP), CX
	MOVQ    src+8(FP), SI
	VMOVUPS (SI), Z0
	ADDQ    $64, SI
	SUBQ    $16, CX

maxloop:
	TESTQ   CX, CX
	JZ      maxdone
	VMAXPS  (SI), Z0, Z0
	ADDQ    $64, SI
	SUBQ    $16, CX
	JMP     maxloop

maxdone:
	VEXTRACTF32X8 $1, Z0, Y1
	VMAXPS        Y1, Y0, Y0
	VEXTRACTF128  $1, Y0, X1
	VMAXPS        X1, X0, X0
	VPERMILPS     $0x4e, X0, X1
	VMAXPS        X1, X0, X0
	VPERMILPS     $0xb1, X0, X1
	VMAXPS        X1, X0, X0
	MOVSS         X0, ret+16(FP)
	VZEROUPPER
	RET

// func scaleAVX512(n int, dst *float32, s float32)
TEXT ·scaleAVX512(SB), NOSPLIT, $0-20
	MOVQ         n+0(FP), CX
	MOVQ         dst+8(FP), DI
	VBROADCASTSS s+16(FP), Z1

scaleloop:
	TESTQ   CX, CX
	JZ      scaledone
	VMULPS  (DI), Z1, Z0
	VMOVUPS Z0, (DI)
	ADDQ    $64, DI
	SUBQ    $16, CX
	JMP     scaleloop

scaledone:
	VZEROUPPER
	RET

// func addAVX512(n int, dst, a, b *float32)
TEXT ·addAVX512(SB), NOSPLIT, $0-32
	MOVQ n+0(FP), CX
	MOVQ dst+8(FP), DI
	MOVQ a+16(FP), SI
	MOVQ b+24(FP), DX

addloop:
	TESTQ   CX, CX
	JZ      adddone
	VMOVUPS (SI), Z0
	VADDPS  (DX), Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DX
	ADDQ    $64, DI
	SUBQ    $16, CX
	JMP     addloop

adddone:
	VZEROUPPER
	RET

// func mulAVX512(n int, dst, a, b *float32)
TEXT ·mulAVX512(SB), NOSPLIT, $0-32
	MOVQ n+0(FP), CX
	MOVQ dst+8(FP), DI
	MOVQ a+16(FP), SI
	MOVQ b+24(FP), DX

mulloop:
	TESTQ   CX, CX
	JZ      muldone
	VMOVUPS (SI), Z0
	VMULPS  (DX), Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DX
	ADDQ    $64, DI
	SUBQ    $16, CX
	JMP     mulloop

muldone:
	VZEROUPPER
	RET

// func f32ToF16AVX512(n int, dst *uint16, src *float32)
// VCVTPS2PH with immediate 0: round to nearest even.
TEXT ·f32ToF16AVX512(SB), NOSPLIT, $0-24
	MOVQ n+0(FP), CX
	MOVQ dst+8(FP), DI
	MOVQ src+16(FP), SI

tohloop:
	TESTQ     CX, CX
	JZ        tohdone
	VMOVUPS   (SI), Z0
	VCVTPS2PH $0, Z0, Y1
	VMOVDQU   Y1, (DI)
	ADDQ      $64, SI
	ADDQ      $32, DI
	SUBQ      $16, CX
	JMP       tohloop

tohdone:
	VZEROUPPER
	RET

// func f16ToF32AVX512(n int, dst *float32, src *uint16)
TEXT ·f16ToF32AVX512(SB), NOSPLIT, $0-24
	MOVQ n+0(FP), CX
	MOVQ dst+8(FP), DI
	MOVQ src+16(FP), SI

fromhloop:
	TESTQ     CX, CX
	JZ        fromhdone
	VCVTPH2PS (SI), Z0
	VMOVUPS   Z0, (DI)
	ADDQ      $32, SI
	ADDQ      $64, DI
	SUBQ      $16, CX
	JMP       fromhloop

fromhdone:
	VZEROUPPER
	RET

DATA bfc<>+0(SB)/4, $0x7fffffff
DATA bfc<>+4(SB)/4, $0x7f800000
DATA bfc<>+8(SB)/4, $0x00007fff
DATA bfc<>+12(SB)/4, $0x00000001
DATA bfc<>+16(SB)/4, $0x00000040
GLOBL bfc<>(SB), RODATA|NOPTR, $20

// func f32ToBF16AVX512(n int, dst *uint16, src *float32)
// Round to nearest even by integer arithmetic (b + 0x7fff + lsb) >> 16;
// NaN keeps sign and top payload with the quiet bit forced, as in core.
TEXT ·f32ToBF16AVX512(SB), NOSPLIT, $0-24
	MOVQ         n+0(FP), CX
	MOVQ         dst+8(FP), DI
	MOVQ         src+16(FP), SI
	VPBROADCASTD bfc<>+0(SB), Z10
	VPBROADCASTD bfc<>+4(SB), Z11
	VPBROADCASTD bfc<>+8(SB), Z12
	VPBROADCASTD bfc<>+12(SB), Z13
	VPBROADCASTD bfc<>+16(SB), Z14

tobloop:
	TESTQ     CX, CX
	JZ        tobdone
	VMOVDQU32 (SI), Z0
	VPANDD    Z10, Z0, Z1
	VPCMPUD   $6, Z11, Z1, K1    // K1: |b| > 0x7f800000, a NaN
	VPSRLD    $16, Z0, Z2
	VPANDD    Z13, Z2, Z3
	VPADDD    Z12, Z3, Z3
	VPADDD    Z3, Z0, Z3
	VPSRLD    $16, Z3, Z3
	VPORD     Z14, Z2, Z2
	VMOVDQA32 Z2, K1, Z3
	VPMOVDW   Z3, Y4
	VMOVDQU   Y4, (DI)
	ADDQ      $64, SI
	ADDQ      $32, DI
	SUBQ      $16, CX
	JMP       tobloop

tobdone:
	VZEROUPPER
	RET

// func bf16ToF32AVX512(n int, dst *float32, src *uint16)
TEXT ·bf16ToF32AVX512(SB), NOSPLIT, $0-24
	MOVQ n+0(FP), CX
	MOVQ dst+8(FP), DI
	MOVQ src+16(FP), SI

frombloop:
	TESTQ     CX, CX
	JZ        frombdone
	VPMOVZXWD (SI), Z0
	VPSLLD    $16, Z0, Z0
	VMOVDQU32 Z0, (DI)
	ADDQ      $32, SI
	ADDQ      $64, DI
	SUBQ      $16, CX
	JMP       frombloop

frombdone:
	VZEROUPPER
	RET
