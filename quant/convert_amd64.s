//go:build amd64 && !noasm

#include "textflag.h"

// func f32ToF16F16C(dst *uint16, src *float32, n int)
// n is a positive multiple of 16.
TEXT ·f32ToF16F16C(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $4, CX

loop:
	VMOVUPS   (SI), Y0
	VMOVUPS   32(SI), Y1
	VCVTPS2PH $0, Y0, X2
	VCVTPS2PH $0, Y1, X3
	VMOVDQU   X2, (DI)
	VMOVDQU   X3, 16(DI)
	ADDQ      $64, SI
	ADDQ      $32, DI
	DECQ      CX
	JNZ       loop
	VZEROUPPER
	RET

// func f16ToF32F16C(dst *float32, src *uint16, n int)
// n is a positive multiple of 16.
TEXT ·f16ToF32F16C(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $4, CX

loop:
	VCVTPH2PS (SI), Y0
	VCVTPH2PS 16(SI), Y1
	VMOVUPS   Y0, (DI)
	VMOVUPS   Y1, 32(DI)
	ADDQ      $32, SI
	ADDQ      $64, DI
	DECQ      CX
	JNZ       loop
	VZEROUPPER
	RET

DATA bf16c<>+0(SB)/4, $0x7fffffff  // abs mask
DATA bf16c<>+4(SB)/4, $0x7f800000  // +Inf
DATA bf16c<>+8(SB)/4, $0x00007fff  // rounding bias
DATA bf16c<>+12(SB)/4, $0x00000001
DATA bf16c<>+16(SB)/4, $0x00400000 // quiet bit, as seen from bf16
GLOBL bf16c<>(SB), RODATA|NOPTR, $20

// func f32ToBF16AVX2(dst *uint16, src *float32, n int)
// core.BFloat16FromFloat32 on 8 values at a time: NaN keeps sign and top
// payload with the quiet bit forced; everything else rounds to nearest
// even by adding 0x7fff plus the lowest kept bit. n is a positive
// multiple of 8.
TEXT ·f32ToBF16AVX2(SB), NOSPLIT, $0-24
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         n+16(FP), CX
	SHRQ         $3, CX
	VPBROADCASTD bf16c<>+0(SB), Y10
	VPBROADCASTD bf16c<>+4(SB), Y11
	VPBROADCASTD bf16c<>+8(SB), Y12
	VPBROADCASTD bf16c<>+12(SB), Y13
	VPBROADCASTD bf16c<>+16(SB), Y14

loop:
	VMOVDQU    (SI), Y0
	VPAND      Y10, Y0, Y1
	VPCMPGTD   Y11, Y1, Y1         // NaN: |b| > 0x7f800000
	VPSRLD     $16, Y0, Y2
	VPAND      Y13, Y2, Y2         // lowest kept bit
	VPADDD     Y12, Y2, Y2
	VPADDD     Y0, Y2, Y2          // rounded
	VPOR       Y14, Y0, Y3         // NaN, quieted
	VPBLENDVB  Y1, Y3, Y2, Y2
	VPSRLD     $16, Y2, Y2
	VEXTRACTI128 $1, Y2, X3
	VPACKUSDW  X3, X2, X2
	VMOVDQU    X2, (DI)
	ADDQ       $32, SI
	ADDQ       $16, DI
	DECQ       CX
	JNZ        loop
	VZEROUPPER
	RET

// func bf16ToF32AVX2(dst *float32, src *uint16, n int)
// n is a positive multiple of 8.
TEXT ·bf16ToF32AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX

loop:
	VPMOVZXWD (SI), Y0
	VPSLLD    $16, Y0, Y0
	VMOVDQU   Y0, (DI)
	ADDQ      $16, SI
	ADDQ      $32, DI
	DECQ      CX
	JNZ       loop
	VZEROUPPER
	RET
