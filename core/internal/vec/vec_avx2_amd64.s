//go:build !noasm

#include "textflag.h"

// AVX2 + FMA (+ F16C) bodies of package vec for x86 CPUs without
// AVX-512. n is a multiple of 8; the Go wrappers run the remainder.

DATA exp2c<>+0(SB)/4, $1.44269504088896341   // log2(e)
DATA exp2c<>+4(SB)/4, $0.693359375           // ln2 high
DATA exp2c<>+8(SB)/4, $-2.12194440e-4        // ln2 low
DATA exp2c<>+12(SB)/4, $89.0
DATA exp2c<>+16(SB)/4, $-104.0
DATA exp2c<>+20(SB)/4, $1.9875691500e-4
DATA exp2c<>+24(SB)/4, $1.3981999507e-3
DATA exp2c<>+28(SB)/4, $8.3334519073e-3
DATA exp2c<>+32(SB)/4, $4.1665795894e-2
DATA exp2c<>+36(SB)/4, $1.6666665459e-1
DATA exp2c<>+40(SB)/4, $5.0000001201e-1
DATA exp2c<>+44(SB)/4, $1.0
DATA exp2c<>+48(SB)/4, $-1.0
DATA exp2c<>+52(SB)/4, $-1.5957691216057308
DATA exp2c<>+56(SB)/4, $0.044715
DATA exp2c<>+60(SB)/4, $127
GLOBL exp2c<>(SB), RODATA|NOPTR, $64

// Y15 = 1.0; constants are re-read from memory inside EXP2 (16 ymm
// registers are not enough to keep them all).
#define EXP2(x, t, u, w) \
	VMINPS       x, Y13, x; \
	VMAXPS       x, Y14, x; \
	VBROADCASTSS exp2c<>+0(SB), t; \
	VMULPS       x, t, t; \
	VROUNDPS     $0, t, t; \
	VBROADCASTSS exp2c<>+4(SB), u; \
	VFNMADD231PS u, t, x; \
	VBROADCASTSS exp2c<>+8(SB), u; \
	VFNMADD231PS u, t, x; \
	VBROADCASTSS exp2c<>+20(SB), u; \
	VBROADCASTSS exp2c<>+24(SB), w; \
	VFMADD213PS  w, x, u; \
	VBROADCASTSS exp2c<>+28(SB), w; \
	VFMADD213PS  w, x, u; \
	VBROADCASTSS exp2c<>+32(SB), w; \
	VFMADD213PS  w, x, u; \
	VBROADCASTSS exp2c<>+36(SB), w; \
	VFMADD213PS  w, x, u; \
	VBROADCASTSS exp2c<>+40(SB), w; \
	VFMADD213PS  w, x, u; \
	VMULPS       x, x, w; \
	VFMADD213PS  x, w, u; \
	VADDPS       Y15, u, u; \
	VCVTPS2DQ    t, t; \
	VPSRAD       $1, t, w; \
	VPSUBD       w, t, t; \
	VPADDD       Y12, w, w; \
	VPSLLD       $23, w, w; \
	VMULPS       w, u, u; \
	VPADDD       Y12, t, t; \
	VPSLLD       $23, t, t; \
	VMULPS       t, u, x

// The 2^n factor is applied as 2^(n>>1) · 2^(n - n>>1) so that both
// halves stay normal numbers down to n = -150 (results then underflow to
// subnormals and 0 as they should) and n = 128 still gives +Inf.

#define LOADEXP2 \
	VBROADCASTSS exp2c<>+12(SB), Y13; \
	VBROADCASTSS exp2c<>+16(SB), Y14; \
	VBROADCASTSS exp2c<>+44(SB), Y15; \
	VPBROADCASTD exp2c<>+60(SB), Y12

// func expAVX2(n int, dst, src *float32)
TEXT ·expAVX2(SB), NOSPLIT, $0-24
	MOVQ n+0(FP), CX
	MOVQ dst+8(FP), DI
	MOVQ src+16(FP), SI
	LOADEXP2

e2loop:
	TESTQ   CX, CX
	JZ      e2done
	VMOVUPS (SI), Y0
	EXP2(Y0, Y1, Y2, Y3)
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     e2loop

e2done:
	VZEROUPPER
	RET

// func siluAVX2(n int, dst, src *float32)
TEXT ·siluAVX2(SB), NOSPLIT, $0-24
	MOVQ n+0(FP), CX
	MOVQ dst+8(FP), DI
	MOVQ src+16(FP), SI
	LOADEXP2

s2loop:
	TESTQ        CX, CX
	JZ           s2done
	VMOVUPS      (SI), Y0
	VBROADCASTSS exp2c<>+48(SB), Y4
	VMULPS       Y4, Y0, Y4
	EXP2(Y4, Y1, Y2, Y3)
	VADDPS       Y15, Y4, Y4
	VDIVPS       Y4, Y0, Y0
	VMOVUPS      Y0, (DI)
	ADDQ         $32, SI
	ADDQ         $32, DI
	SUBQ         $8, CX
	JMP          s2loop

s2done:
	VZEROUPPER
	RET

// func geluAVX2(n int, dst, src *float32)
TEXT ·geluAVX2(SB), NOSPLIT, $0-24
	MOVQ n+0(FP), CX
	MOVQ dst+8(FP), DI
	MOVQ src+16(FP), SI
	LOADEXP2

g2loop:
	TESTQ        CX, CX
	JZ           g2done
	VMOVUPS      (SI), Y0
	VMULPS       Y0, Y0, Y4
	VBROADCASTSS exp2c<>+56(SB), Y5
	VMULPS       Y5, Y4, Y4
	VFMADD213PS  Y0, Y0, Y4
	VBROADCASTSS exp2c<>+52(SB), Y5
	VMULPS       Y5, Y4, Y4
	EXP2(Y4, Y1, Y2, Y3)
	VADDPS       Y15, Y4, Y4
	VDIVPS       Y4, Y0, Y0
	VMOVUPS      Y0, (DI)
	ADDQ         $32, SI
	ADDQ         $32, DI
	SUBQ         $8, CX
	JMP          g2loop

g2done:
	VZEROUPPER
	RET

// func expSubSumAVX2(n int, dst, src *float32, m float32) float32
TEXT ·expSubSumAVX2(SB), NOSPLIT, $0-36
	MOVQ         n+0(FP), CX
	MOVQ         dst+8(FP), DI
	MOVQ         src+16(FP), SI
	VBROADCASTSS m+24(FP), Y11
	LOADEXP2
	VXORPS       Y8, Y8, Y8

ss2loop:
	TESTQ   CX, CX
	JZ      ss2done
	VMOVUPS (SI), Y0
	VSUBPS  Y11, Y0, Y0
	EXP2(Y0, Y1, Y2, Y3)
	VMOVUPS Y0, (DI)
	VADDPS  Y0, Y8, Y8
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     ss2loop

ss2done:
	VEXTRACTF128 $1, Y8, X1
	VADDPS       X1, X8, X8
	VHADDPS      X8, X8, X8
	VHADDPS      X8, X8, X8
	MOVSS        X8, ret+32(FP)
	VZEROUPPER
	RET

// func maxAVX2(n int, src *float32) float32
TEXT ·maxAVX2(SB), NOSPLIT, $0-20
	MOVQ    n+0(FP), CX
	MOVQ    src+8(FP), SI
	VMOVUPS (SI), Y0
	ADDQ    $32, SI
	SUBQ    $8, CX

m2loop:
	TESTQ  CX, CX
	JZ     m2done
	VMAXPS (SI), Y0, Y0
	ADDQ   $32, SI
	SUBQ   $8, CX
	JMP    m2loop

m2done:
	VEXTRACTF128 $1, Y0, X1
	VMAXPS       X1, X0, X0
	VPERMILPS    $0x4e, X0, X1
	VMAXPS       X1, X0, X0
	VPERMILPS    $0xb1, X0, X1
	VMAXPS       X1, X0, X0
	MOVSS        X0, ret+16(FP)
	VZEROUPPER
	RET

// func scaleAVX2(n int, dst *float32, s float32)
TEXT ·scaleAVX2(SB), NOSPLIT, $0-20
	MOVQ         n+0(FP), CX
	MOVQ         dst+8(FP), DI
	VBROADCASTSS s+16(FP), Y1

sc2loop:
	TESTQ   CX, CX
	JZ      sc2done
	VMULPS  (DI), Y1, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     sc2loop

sc2done:
	VZEROUPPER
	RET

// func addAVX2(n int, dst, a, b *float32)
TEXT ·addAVX2(SB), NOSPLIT, $0-32
	MOVQ n+0(FP), CX
	MOVQ dst+8(FP), DI
	MOVQ a+16(FP), SI
	MOVQ b+24(FP), DX

a2loop:
	TESTQ   CX, CX
	JZ      a2done
	VMOVUPS (SI), Y0
	VADDPS  (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     a2loop

a2done:
	VZEROUPPER
	RET

// func mulAVX2(n int, dst, a, b *float32)
TEXT ·mulAVX2(SB), NOSPLIT, $0-32
	MOVQ n+0(FP), CX
	MOVQ dst+8(FP), DI
	MOVQ a+16(FP), SI
	MOVQ b+24(FP), DX

mu2loop:
	TESTQ   CX, CX
	JZ      mu2done
	VMOVUPS (SI), Y0
	VMULPS  (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     mu2loop

mu2done:
	VZEROUPPER
	RET

// func f32ToF16AVX2(n int, dst *uint16, src *float32)
TEXT ·f32ToF16AVX2(SB), NOSPLIT, $0-24
	MOVQ n+0(FP), CX
	MOVQ dst+8(FP), DI
	MOVQ src+16(FP), SI

th2loop:
	TESTQ     CX, CX
	JZ        th2done
	VMOVUPS   (SI), Y0
	VCVTPS2PH $0, Y0, X1
	VMOVDQU   X1, (DI)
	ADDQ      $32, SI
	ADDQ      $16, DI
	SUBQ      $8, CX
	JMP       th2loop

th2done:
	VZEROUPPER
	RET

// func f16ToF32AVX2(n int, dst *float32, src *uint16)
TEXT ·f16ToF32AVX2(SB), NOSPLIT, $0-24
	MOVQ n+0(FP), CX
	MOVQ dst+8(FP), DI
	MOVQ src+16(FP), SI

fh2loop:
	TESTQ     CX, CX
	JZ        fh2done
	VCVTPH2PS (SI), Y0
	VMOVUPS   Y0, (DI)
	ADDQ      $16, SI
	ADDQ      $32, DI
	SUBQ      $8, CX
	JMP       fh2loop

fh2done:
	VZEROUPPER
	RET

// func bf16ToF32AVX2(n int, dst *float32, src *uint16)
TEXT ·bf16ToF32AVX2(SB), NOSPLIT, $0-24
	MOVQ n+0(FP), CX
	MOVQ dst+8(FP), DI
	MOVQ src+16(FP), SI

fb2loop:
	TESTQ     CX, CX
	JZ        fb2done
	VPMOVZXWD (SI), Y0
	VPSLLD    $16, Y0, Y0
	VMOVDQU   Y0, (DI)
	ADDQ      $16, SI
	ADDQ      $32, DI
	SUBQ      $8, CX
	JMP       fb2loop

fb2done:
	VZEROUPPER
	RET

DATA bf2c<>+0(SB)/4, $0x7fffffff
DATA bf2c<>+4(SB)/4, $0x7f800000
DATA bf2c<>+8(SB)/4, $0x00007fff
DATA bf2c<>+12(SB)/4, $0x00000001
DATA bf2c<>+16(SB)/4, $0x00000040
GLOBL bf2c<>(SB), RODATA|NOPTR, $20

// func f32ToBF16AVX2(n int, dst *uint16, src *float32)
// The rounding and NaN rule of f32ToBF16AVX512 with AVX2 integer ops.
TEXT ·f32ToBF16AVX2(SB), NOSPLIT, $0-24
	MOVQ         n+0(FP), CX
	MOVQ         dst+8(FP), DI
	MOVQ         src+16(FP), SI
	VPBROADCASTD bf2c<>+0(SB), Y10
	VPBROADCASTD bf2c<>+4(SB), Y11
	VPBROADCASTD bf2c<>+8(SB), Y12
	VPBROADCASTD bf2c<>+12(SB), Y13
	VPBROADCASTD bf2c<>+16(SB), Y14

tb2loop:
	TESTQ     CX, CX
	JZ        tb2done
	VMOVDQU   (SI), Y0
	VPAND     Y10, Y0, Y1
	VPCMPGTD  Y11, Y1, Y5    // |b| > 0x7f800000 (both non-negative): NaN
	VPSRLD    $16, Y0, Y2
	VPAND     Y13, Y2, Y3
	VPADDD    Y12, Y3, Y3
	VPADDD    Y3, Y0, Y3
	VPSRLD    $16, Y3, Y3
	VPOR      Y14, Y2, Y2
	VPBLENDVB Y5, Y2, Y3, Y4
	VPACKUSDW Y4, Y4, Y6
	VPERMQ    $0x08, Y6, Y6
	VMOVDQU   X6, (DI)
	ADDQ      $32, SI
	ADDQ      $16, DI
	SUBQ      $8, CX
	JMP       tb2loop

tb2done:
	VZEROUPPER
	RET
