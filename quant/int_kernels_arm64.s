//go:build !noasm

// Integer row kernels for arm64 with the dot product extension (SDOT):
// a Q4_0 or Q8_0 weight row times an input row quantized to 8-bit blocks
// and packed by packNEON (act_q8.go: per block the 32 codes and d). Each
// block's integer dot is exact (Q4_0's codes have 8 subtracted first,
// so both sides are signed); it is converted once and scaled by
// d_w*d_x. Go's assembler has no SDOT, SCVTF, FADD or FADDP on vectors:
// those are WORD encodings (commented with the instruction). The kernels
// take n weight rows of nb blocks, stride bytes apart, and write the n
// dots with one packed input row to y.

#include "textflag.h"

// func dotQ40SDOT(rows *byte, stride, n int, act *byte, nb int, y *float32)
TEXT ·dotQ40SDOT(SB), NOSPLIT, $0-48
	MOVD rows+0(FP), R8
	MOVD stride+8(FP), R11
	MOVD n+16(FP), R10
	MOVD act+24(FP), R12
	MOVD nb+32(FP), R13
	MOVD y+40(FP), R9
	VMOVI $15, V29.B16
	VMOVI $8, V28.B16
	CBZ   R10, dotQ40SDOTend
dotQ40SDOTrow:
	MOVD R8, R0
	MOVD R12, R1
	MOVD R13, R2
	VEOR V26.B16, V26.B16, V26.B16
	VEOR V27.B16, V27.B16, V27.B16
	CBZ  R2, dotQ40SDOTdone
dotQ40SDOTloop:
	// d_w*d_x broadcast into V30.
	MOVHU (R0), R4
	FMOVS R4, F31
	FCVTHS F31, F31
	FMOVS 32(R1), F30
	FMULS F30, F31, F31
	VDUP  V31.S[0], V30.S4
	ADD   $2, R0, R5
	VLD1  (R5), [V0.B16]
	VAND  V29.B16, V0.B16, V1.B16
	VUSHR $4, V0.B16, V2.B16
	VSUB  V28.B16, V1.B16, V1.B16
	VSUB  V28.B16, V2.B16, V2.B16
	VLD1  (R1), [V3.B16, V4.B16]
	ADD   $36, R1
	VEOR  V5.B16, V5.B16, V5.B16
	WORD $0x4e839425  // SDOT V5.4S, V1.16B, V3.16B
	WORD $0x4e849445  // SDOT V5.4S, V2.16B, V4.16B
	WORD $0x4e21d8a5  // SCVTF V5.4S, V5.4S
	VFMLA V30.S4, V5.S4, V26.S4
	ADD  $18, R0
	SUBS $1, R2, R2
	BNE  dotQ40SDOTloop
dotQ40SDOTdone:
	WORD $0x4e3bd75a  // FADD V26.4S, V26.4S, V27.4S
	WORD $0x6e3ad75a  // FADDP V26.4S, V26.4S, V26.4S
	WORD $0x7e30db40  // FADDP S0, V26.2S
	FMOVS F0, (R9)
	ADD  $4, R9
	ADD  R11, R8
	SUBS $1, R10, R10
	BNE  dotQ40SDOTrow
dotQ40SDOTend:
	RET

// func dotQ80SDOT(rows *byte, stride, n int, act *byte, nb int, y *float32)
TEXT ·dotQ80SDOT(SB), NOSPLIT, $0-48
	MOVD rows+0(FP), R8
	MOVD stride+8(FP), R11
	MOVD n+16(FP), R10
	MOVD act+24(FP), R12
	MOVD nb+32(FP), R13
	MOVD y+40(FP), R9
	VMOVI $15, V29.B16
	VMOVI $8, V28.B16
	CBZ   R10, dotQ80SDOTend
dotQ80SDOTrow:
	MOVD R8, R0
	MOVD R12, R1
	MOVD R13, R2
	VEOR V26.B16, V26.B16, V26.B16
	VEOR V27.B16, V27.B16, V27.B16
	CBZ  R2, dotQ80SDOTdone
dotQ80SDOTloop:
	// d_w*d_x broadcast into V30.
	MOVHU (R0), R4
	FMOVS R4, F31
	FCVTHS F31, F31
	FMOVS 32(R1), F30
	FMULS F30, F31, F31
	VDUP  V31.S[0], V30.S4
	ADD   $2, R0, R5
	VLD1  (R5), [V1.B16, V2.B16]
	VLD1  (R1), [V3.B16, V4.B16]
	ADD   $36, R1
	VEOR  V5.B16, V5.B16, V5.B16
	WORD $0x4e839425  // SDOT V5.4S, V1.16B, V3.16B
	WORD $0x4e849445  // SDOT V5.4S, V2.16B, V4.16B
	WORD $0x4e21d8a5  // SCVTF V5.4S, V5.4S
	VFMLA V30.S4, V5.S4, V26.S4
	ADD  $34, R0
	SUBS $1, R2, R2
	BNE  dotQ80SDOTloop
dotQ80SDOTdone:
	WORD $0x4e3bd75a  // FADD V26.4S, V26.4S, V27.4S
	WORD $0x6e3ad75a  // FADDP V26.4S, V26.4S, V26.4S
	WORD $0x7e30db40  // FADDP S0, V26.2S
	FMOVS F0, (R9)
	ADD  $4, R9
	ADD  R11, R8
	SUBS $1, R10, R10
	BNE  dotQ80SDOTrow
dotQ80SDOTend:
	RET

// func prefetchL2ARM64(p uintptr, n int)
TEXT ·prefetchL2ARM64(SB), NOSPLIT, $0-16
	MOVD p+0(FP), R0
	MOVD n+8(FP), R1
	ADD  R0, R1, R1
prefetchL2ARM64loop:
	CMP  R1, R0
	BHS  prefetchL2ARM64done
	PRFM (R0), PLDL2KEEP
	PRFM 64(R0), PLDL2KEEP
	ADD  $128, R0
	B    prefetchL2ARM64loop
prefetchL2ARM64done:
	RET
