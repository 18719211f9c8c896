//go:build !noasm

// NEON row dots of F16/BF16 weights with float32 x (see half.go): F16
// widened with FCVTL/FCVTL2, BF16 with SHLL/SHLL2 #16 (a bf16 is the high
// half of a float32), both WORD encodings as Go's assembler lacks them.
// Four accumulators over 16 values per pass, then 4 values per pass,
// then one value per pass.

#include "textflag.h"

// func dotF16NEON(row *byte, x *float32, xs *float32, n int) float32
TEXT ·dotF16NEON(SB), NOSPLIT, $0-36
	MOVD row+0(FP), R0
	MOVD x+8(FP), R1
	MOVD n+24(FP), R2
	VEOR V16.B16, V16.B16, V16.B16
	VEOR V17.B16, V17.B16, V17.B16
	VEOR V18.B16, V18.B16, V18.B16
	VEOR V19.B16, V19.B16, V19.B16
loop16:
	CMP  $16, R2
	BLT  loop4
	VLD1.P 32(R0), [V0.B16, V1.B16]
	WORD $0xe217802  // FCVTL V2.4S, V0.4H
	WORD $0x4e217803  // FCVTL2 V3.4S, V0.8H
	WORD $0xe217824  // FCVTL V4.4S, V1.4H
	WORD $0x4e217825  // FCVTL2 V5.4S, V1.8H
	VLD1.P 64(R1), [V6.S4, V7.S4, V8.S4, V9.S4]
	VFMLA V6.S4, V2.S4, V16.S4
	VFMLA V7.S4, V3.S4, V17.S4
	VFMLA V8.S4, V4.S4, V18.S4
	VFMLA V9.S4, V5.S4, V19.S4
	SUB  $16, R2
	B    loop16
loop4:
	CMP  $4, R2
	BLT  tail
	VLD1.P 8(R0), [V0.B8]
	WORD $0xe217802  // FCVTL V2.4S, V0.4H
	VLD1.P 16(R1), [V6.S4]
	VFMLA V6.S4, V2.S4, V16.S4
	SUB  $4, R2
	B    loop4
tail:
	WORD $0x4e31d610  // FADD V16.4S, V16.4S, V17.4S
	WORD $0x4e33d652  // FADD V18.4S, V18.4S, V19.4S
	WORD $0x4e32d610  // FADD V16.4S, V16.4S, V18.4S
	WORD $0x6e30d610  // FADDP V16.4S, V16.4S, V16.4S
	WORD $0x7e30da00  // FADDP S0, V16.2S
	CBZ  R2, done
scalar:
	MOVHU.P 2(R0), R4
	FMOVS R4, F1
	FCVTHS F1, F1
	FMOVS.P 4(R1), F2
	FMULS F2, F1, F1
	FADDS F1, F0, F0
	SUBS $1, R2, R2
	BNE  scalar
done:
	FMOVS F0, ret+32(FP)
	RET

// func dotBF16NEON(row *byte, x *float32, xs *float32, n int) float32
TEXT ·dotBF16NEON(SB), NOSPLIT, $0-36
	MOVD row+0(FP), R0
	MOVD x+8(FP), R1
	MOVD n+24(FP), R2
	VEOR V16.B16, V16.B16, V16.B16
	VEOR V17.B16, V17.B16, V17.B16
	VEOR V18.B16, V18.B16, V18.B16
	VEOR V19.B16, V19.B16, V19.B16
loop16:
	CMP  $16, R2
	BLT  loop4
	VLD1.P 32(R0), [V0.B16, V1.B16]
	WORD $0x2e613802  // SHLL V2.4S, V0.4H, #16
	WORD $0x6e613803  // SHLL2 V3.4S, V0.8H, #16
	WORD $0x2e613824  // SHLL V4.4S, V1.4H, #16
	WORD $0x6e613825  // SHLL2 V5.4S, V1.8H, #16
	VLD1.P 64(R1), [V6.S4, V7.S4, V8.S4, V9.S4]
	VFMLA V6.S4, V2.S4, V16.S4
	VFMLA V7.S4, V3.S4, V17.S4
	VFMLA V8.S4, V4.S4, V18.S4
	VFMLA V9.S4, V5.S4, V19.S4
	SUB  $16, R2
	B    loop16
loop4:
	CMP  $4, R2
	BLT  tail
	VLD1.P 8(R0), [V0.B8]
	WORD $0x2e613802  // SHLL V2.4S, V0.4H, #16
	VLD1.P 16(R1), [V6.S4]
	VFMLA V6.S4, V2.S4, V16.S4
	SUB  $4, R2
	B    loop4
tail:
	WORD $0x4e31d610  // FADD V16.4S, V16.4S, V17.4S
	WORD $0x4e33d652  // FADD V18.4S, V18.4S, V19.4S
	WORD $0x4e32d610  // FADD V16.4S, V16.4S, V18.4S
	WORD $0x6e30d610  // FADDP V16.4S, V16.4S, V16.4S
	WORD $0x7e30da00  // FADDP S0, V16.2S
	CBZ  R2, done
scalar:
	MOVHU.P 2(R0), R4
	LSLW $16, R4, R4
	FMOVS R4, F1
	FMOVS.P 4(R1), F2
	FMULS F2, F1, F1
	FADDS F1, F0, F0
	SUBS $1, R2, R2
	BNE  scalar
done:
	FMOVS F0, ret+32(FP)
	RET
