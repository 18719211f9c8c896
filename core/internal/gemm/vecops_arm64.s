//go:build !noasm

#include "textflag.h"

// NEON dot product and axpy for the matrix-vector paths; n is a multiple
// of 16 (the Go callers handle the rest). Go's assembler has no vector
// FADD, so partial sums are folded with FMLA by a vector of ones (exact).

// func sdotNEON(n int, x, y *float32, out *[4]float32)
TEXT ·sdotNEON(SB), NOSPLIT, $0-32
	MOVD n+0(FP), R0
	MOVD x+8(FP), R1
	MOVD y+16(FP), R2
	MOVD out+24(FP), R3
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V2.B16, V2.B16, V2.B16
	VEOR V3.B16, V3.B16, V3.B16

dotloop:
	VLD1.P 64(R1), [V4.S4, V5.S4, V6.S4, V7.S4]
	VLD1.P 64(R2), [V16.S4, V17.S4, V18.S4, V19.S4]
	VFMLA  V4.S4, V16.S4, V0.S4
	VFMLA  V5.S4, V17.S4, V1.S4
	VFMLA  V6.S4, V18.S4, V2.S4
	VFMLA  V7.S4, V19.S4, V3.S4
	SUBS   $16, R0, R0
	BNE    dotloop

	FMOVS $1.0, F31
	VDUP  V31.S[0], V31.S4
	VFMLA V1.S4, V31.S4, V0.S4
	VFMLA V2.S4, V31.S4, V0.S4
	VFMLA V3.S4, V31.S4, V0.S4
	VST1  [V0.S4], (R3)
	RET

// func saxpyNEON(n int, alpha float32, x, y *float32)
TEXT ·saxpyNEON(SB), NOSPLIT, $0-32
	MOVD  n+0(FP), R0
	FMOVS alpha+8(FP), F31
	VDUP  V31.S[0], V31.S4
	MOVD  x+16(FP), R1
	MOVD  y+24(FP), R2

axpyloop:
	VLD1.P 64(R1), [V4.S4, V5.S4, V6.S4, V7.S4]
	VLD1   (R2), [V16.S4, V17.S4, V18.S4, V19.S4]
	VFMLA  V4.S4, V31.S4, V16.S4
	VFMLA  V5.S4, V31.S4, V17.S4
	VFMLA  V6.S4, V31.S4, V18.S4
	VFMLA  V7.S4, V31.S4, V19.S4
	VST1.P [V16.S4, V17.S4, V18.S4, V19.S4], 64(R2)
	SUBS   $16, R0, R0
	BNE    axpyloop
	RET
