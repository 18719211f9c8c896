//go:build amd64 && !noasm

// Row dots of F16/BF16 weights with float32 x (see half.go): F16 through
// F16C's VCVTPH2PS, BF16 zero-extended to 32 bits and shifted left by 16
// (a bf16 is the high half of a float32). Four accumulators over four
// vectors per pass, then one vector per pass, then one value per pass.

#include "textflag.h"

// func dotF16AVX2(row *byte, x *float32, xs *float32, n int) float32
TEXT ·dotF16AVX2(SB), NOSPLIT, $0-36
	MOVQ row+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ n+24(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
loop4:
	CMPQ CX, $32
	JLT  loop1
	VCVTPH2PS   0(SI), Y4
	VCVTPH2PS   16(SI), Y5
	VCVTPH2PS   32(SI), Y6
	VCVTPH2PS   48(SI), Y7
	VFMADD231PS 0(DI), Y4, Y0
	VFMADD231PS 32(DI), Y5, Y1
	VFMADD231PS 64(DI), Y6, Y2
	VFMADD231PS 96(DI), Y7, Y3
	ADDQ $64, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  loop4
loop1:
	CMPQ CX, $8
	JLT  tail
	VCVTPH2PS   0(SI), Y4
	VFMADD231PS (DI), Y4, Y0
	ADDQ $16, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  loop1
tail:
	VADDPS      Y1, Y0, Y0
	VADDPS      Y3, Y2, Y2
	VADDPS      Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS      X1, X0, X0
	VHADDPS     X0, X0, X0
	VHADDPS     X0, X0, X0
	TESTQ CX, CX
	JZ    done
scalar:
	MOVWLZX     (SI), AX
	VMOVD       AX, X4
	VCVTPH2PS   X4, X4
	VFMADD231SS (DI), X4, X0
	ADDQ $2, SI
	ADDQ $4, DI
	DECQ CX
	JNZ  scalar
done:
	VZEROUPPER
	MOVSS       X0, ret+32(FP)
	RET

// func dotBF16AVX2(row *byte, x *float32, xs *float32, n int) float32
TEXT ·dotBF16AVX2(SB), NOSPLIT, $0-36
	MOVQ row+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ n+24(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
loop4:
	CMPQ CX, $32
	JLT  loop1
	VPMOVZXWD   0(SI), Y4
	VPSLLD      $16, Y4, Y4
	VPMOVZXWD   16(SI), Y5
	VPSLLD      $16, Y5, Y5
	VPMOVZXWD   32(SI), Y6
	VPSLLD      $16, Y6, Y6
	VPMOVZXWD   48(SI), Y7
	VPSLLD      $16, Y7, Y7
	VFMADD231PS 0(DI), Y4, Y0
	VFMADD231PS 32(DI), Y5, Y1
	VFMADD231PS 64(DI), Y6, Y2
	VFMADD231PS 96(DI), Y7, Y3
	ADDQ $64, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  loop4
loop1:
	CMPQ CX, $8
	JLT  tail
	VPMOVZXWD   0(SI), Y4
	VPSLLD      $16, Y4, Y4
	VFMADD231PS (DI), Y4, Y0
	ADDQ $16, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  loop1
tail:
	VADDPS      Y1, Y0, Y0
	VADDPS      Y3, Y2, Y2
	VADDPS      Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS      X1, X0, X0
	VHADDPS     X0, X0, X0
	VHADDPS     X0, X0, X0
	TESTQ CX, CX
	JZ    done
scalar:
	MOVWLZX     (SI), AX
	SHLL        $16, AX
	VMOVD       AX, X4
	VFMADD231SS (DI), X4, X0
	ADDQ $2, SI
	ADDQ $4, DI
	DECQ CX
	JNZ  scalar
done:
	VZEROUPPER
	MOVSS       X0, ret+32(FP)
	RET

// func dotF16AVX512(row *byte, x *float32, xs *float32, n int) float32
TEXT ·dotF16AVX512(SB), NOSPLIT, $0-36
	MOVQ row+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ n+24(FP), CX
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
loop4:
	CMPQ CX, $64
	JLT  loop1
	VCVTPH2PS   0(SI), Z4
	VCVTPH2PS   32(SI), Z5
	VCVTPH2PS   64(SI), Z6
	VCVTPH2PS   96(SI), Z7
	VFMADD231PS 0(DI), Z4, Z0
	VFMADD231PS 64(DI), Z5, Z1
	VFMADD231PS 128(DI), Z6, Z2
	VFMADD231PS 192(DI), Z7, Z3
	ADDQ $128, SI
	ADDQ $256, DI
	SUBQ $64, CX
	JMP  loop4
loop1:
	CMPQ CX, $16
	JLT  tail
	VCVTPH2PS   0(SI), Z4
	VFMADD231PS (DI), Z4, Z0
	ADDQ $32, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  loop1
tail:
	VADDPS      Z1, Z0, Z0
	VADDPS      Z3, Z2, Z2
	VADDPS      Z2, Z0, Z0
	VEXTRACTF64X4 $1, Z0, Y1
	VADDPS      Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS      X1, X0, X0
	VHADDPS     X0, X0, X0
	VHADDPS     X0, X0, X0
	TESTQ CX, CX
	JZ    done
scalar:
	MOVWLZX     (SI), AX
	VMOVD       AX, X4
	VCVTPH2PS   X4, X4
	VFMADD231SS (DI), X4, X0
	ADDQ $2, SI
	ADDQ $4, DI
	DECQ CX
	JNZ  scalar
done:
	VZEROUPPER
	MOVSS       X0, ret+32(FP)
	RET

// func dotBF16AVX512(row *byte, x *float32, xs *float32, n int) float32
TEXT ·dotBF16AVX512(SB), NOSPLIT, $0-36
	MOVQ row+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ n+24(FP), CX
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
loop4:
	CMPQ CX, $64
	JLT  loop1
	VPMOVZXWD   0(SI), Z4
	VPSLLD      $16, Z4, Z4
	VPMOVZXWD   32(SI), Z5
	VPSLLD      $16, Z5, Z5
	VPMOVZXWD   64(SI), Z6
	VPSLLD      $16, Z6, Z6
	VPMOVZXWD   96(SI), Z7
	VPSLLD      $16, Z7, Z7
	VFMADD231PS 0(DI), Z4, Z0
	VFMADD231PS 64(DI), Z5, Z1
	VFMADD231PS 128(DI), Z6, Z2
	VFMADD231PS 192(DI), Z7, Z3
	ADDQ $128, SI
	ADDQ $256, DI
	SUBQ $64, CX
	JMP  loop4
loop1:
	CMPQ CX, $16
	JLT  tail
	VPMOVZXWD   0(SI), Z4
	VPSLLD      $16, Z4, Z4
	VFMADD231PS (DI), Z4, Z0
	ADDQ $32, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  loop1
tail:
	VADDPS      Z1, Z0, Z0
	VADDPS      Z3, Z2, Z2
	VADDPS      Z2, Z0, Z0
	VEXTRACTF64X4 $1, Z0, Y1
	VADDPS      Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS      X1, X0, X0
	VHADDPS     X0, X0, X0
	VHADDPS     X0, X0, X0
	TESTQ CX, CX
	JZ    done
scalar:
	MOVWLZX     (SI), AX
	SHLL        $16, AX
	VMOVD       AX, X4
	VFMADD231SS (DI), X4, X0
	ADDQ $2, SI
	ADDQ $4, DI
	DECQ CX
	JNZ  scalar
done:
	VZEROUPPER
	MOVSS       X0, ret+32(FP)
	RET
