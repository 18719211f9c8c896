//go:build amd64 && !noasm

#include "textflag.h"

// Block decoders: ggml's to_float for Q4_0 and Q8_0, 16 lanes at a time.
// Each value is float32(q - 8) * d (Q4_0) or float32(q) * d (Q8_0) with
// one rounding, as core/gguf's reference decoder computes it.

// func decodeQ40AVX512(dst *float32, src *byte, nb int)
TEXT ·decodeQ40AVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ nb+16(FP), CX
	VPTERNLOGD $0xff, Z8, Z8, Z8
	VPSRLD   $28, Z8, Z8        // 15
	VPSRLD   $3, Z8, Z9         // 1
	VPSLLD   $3, Z9, Z9         // 8
	TESTQ CX, CX
	JZ    q40ddone
q40dloop:
	VPMOVZXBD   2(SI), Z0
	VPANDD      Z8, Z0, Z1
	VPSRLD      $4, Z0, Z0
	VPSUBD      Z9, Z1, Z1
	VPSUBD      Z9, Z0, Z0
	VCVTDQ2PS   Z1, Z1
	VCVTDQ2PS   Z0, Z0
	MOVWLZX     0(SI), AX
	VMOVD       AX, X5
	VCVTPH2PS   X5, X5
	VBROADCASTSS X5, Z5
	VMULPS      Z5, Z1, Z1
	VMULPS      Z5, Z0, Z0
	VMOVUPS     Z1, (DI)
	VMOVUPS     Z0, 64(DI)
	ADDQ $18, SI
	ADDQ $128, DI
	DECQ CX
	JNZ  q40dloop
q40ddone:
	VZEROUPPER
	RET

// func decodeQ80AVX512(dst *float32, src *byte, nb int)
TEXT ·decodeQ80AVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ nb+16(FP), CX
	TESTQ CX, CX
	JZ    q80ddone
q80dloop:
	VPMOVSXBD   2(SI), Z0
	VPMOVSXBD   18(SI), Z1
	VCVTDQ2PS   Z0, Z0
	VCVTDQ2PS   Z1, Z1
	MOVWLZX     0(SI), AX
	VMOVD       AX, X5
	VCVTPH2PS   X5, X5
	VBROADCASTSS X5, Z5
	VMULPS      Z5, Z0, Z0
	VMULPS      Z5, Z1, Z1
	VMOVUPS     Z0, (DI)
	VMOVUPS     Z1, 64(DI)
	ADDQ $34, SI
	ADDQ $128, DI
	DECQ CX
	JNZ  q80dloop
q80ddone:
	VZEROUPPER
	RET
