//go:build amd64 && !noasm

#include "textflag.h"

DATA posinf<>+0(SB)/4, $0x7f800000
GLOBL posinf<>(SB), RODATA|NOPTR, $4
DATA neginf<>+0(SB)/4, $0xff800000
GLOBL neginf<>(SB), RODATA|NOPTR, $4

// func minMaxAVX(w *float32, n int) (wMin, wMax float32)
// n is a positive multiple of 8.
TEXT ·minMaxAVX(SB), NOSPLIT, $0-24
	MOVQ         w+0(FP), SI
	MOVQ         n+8(FP), CX
	SHRQ         $3, CX
	VBROADCASTSS posinf<>(SB), Y1  // running min
	VBROADCASTSS neginf<>(SB), Y2  // running max

loop:
	VMOVUPS (SI), Y0
	VMINPS  Y1, Y0, Y1             // (v < min) ? v : min
	VMAXPS  Y2, Y0, Y2             // (v > max) ? v : max
	ADDQ    $32, SI
	DECQ    CX
	JNZ     loop

	// Fold the lanes; the accumulators hold no NaN.
	VEXTRACTF128 $1, Y1, X3
	VMINPS       X3, X1, X1
	VEXTRACTF128 $1, Y2, X4
	VMAXPS       X4, X2, X2
	VPERMILPS    $0x4e, X1, X3
	VMINPS       X3, X1, X1
	VPERMILPS    $0x4e, X2, X4
	VMAXPS       X4, X2, X2
	VPERMILPS    $0xb1, X1, X3
	VMINPS       X3, X1, X1
	VPERMILPS    $0xb1, X2, X4
	VMAXPS       X4, X2, X2
	VZEROUPPER
	MOVSS        X1, wMin+16(FP)
	MOVSS        X2, wMax+20(FP)
	RET

// func codesAVX(dst *uint32, w *float32, n int, scale, bias, nBins float32)
// dst[i] = clamp(rint((w[i]-bias)/scale), 0, nBins), NaN -> 0.
// n is a positive multiple of 8.
TEXT ·codesAVX(SB), NOSPLIT, $0-36
	MOVQ         dst+0(FP), DI
	MOVQ         w+8(FP), SI
	MOVQ         n+16(FP), CX
	SHRQ         $3, CX
	VBROADCASTSS scale+24(FP), Y5
	VBROADCASTSS bias+28(FP), Y6
	VBROADCASTSS nBins+32(FP), Y7
	VXORPS       Y8, Y8, Y8

loop:
	VMOVUPS    (SI), Y0
	VSUBPS     Y6, Y0, Y0          // w - bias
	VDIVPS     Y5, Y0, Y0          // / scale
	VROUNDPS   $0, Y0, Y0          // rint: nearest, ties to even
	VMAXPS     Y8, Y0, Y0          // (q > 0) ? q : 0; NaN -> 0
	VMINPS     Y7, Y0, Y0          // (q < nBins) ? q : nBins
	VCVTTPS2DQ Y0, Y0
	VMOVDQU    Y0, (DI)
	ADDQ       $32, SI
	ADDQ       $32, DI
	DECQ       CX
	JNZ        loop
	VZEROUPPER
	RET
