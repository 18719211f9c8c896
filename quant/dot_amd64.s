//go:build amd64 && !noasm

#include "textflag.h"

// func rowDot4AVX2(codes *uint32, xp *float32, scales *float32, groups, chunks int) float32
//
// Per chunk of 8 code bytes: zero-extend to 8 dwords, split low nibbles
// (even values) and high nibbles (odd values), convert to float and
// multiply-add with the matching 8 permuted x values. Per group the two
// partial vectors are summed and scaled into the row total.
TEXT ·rowDot4AVX2(SB), NOSPLIT, $0-44
	MOVQ codes+0(FP), SI
	MOVQ xp+8(FP), DI
	MOVQ scales+16(FP), R8
	MOVQ groups+24(FP), CX
	MOVQ chunks+32(FP), DX
	VPCMPEQD Y15, Y15, Y15
	VPSRLD   $28, Y15, Y15      // 0x0000000f in every dword
	VXORPS   Y6, Y6, Y6         // row total
	VXORPS   Y7, Y7, Y7         // second row total (alternate groups)
	TESTQ    CX, CX
	JZ       done4

group4:
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	MOVQ   DX, BX

chunk4:
	VPMOVZXBD   (SI), Y0
	VPAND       Y15, Y0, Y1
	VPSRLD      $4, Y0, Y2
	VCVTDQ2PS   Y1, Y1
	VCVTDQ2PS   Y2, Y2
	VFMADD231PS (DI), Y1, Y3
	VFMADD231PS 32(DI), Y2, Y4
	ADDQ        $8, SI
	ADDQ        $64, DI
	DECQ        BX
	JNZ         chunk4

	VADDPS       Y4, Y3, Y3
	VBROADCASTSS (R8), Y5
	VFMADD231PS  Y3, Y5, Y6
	ADDQ         $4, R8
	DECQ         CX
	JZ           done4
	// Next group into the second total, to halve the dependency chain.
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	MOVQ   DX, BX

chunk4b:
	VPMOVZXBD   (SI), Y0
	VPAND       Y15, Y0, Y1
	VPSRLD      $4, Y0, Y2
	VCVTDQ2PS   Y1, Y1
	VCVTDQ2PS   Y2, Y2
	VFMADD231PS (DI), Y1, Y3
	VFMADD231PS 32(DI), Y2, Y4
	ADDQ        $8, SI
	ADDQ        $64, DI
	DECQ        BX
	JNZ         chunk4b

	VADDPS       Y4, Y3, Y3
	VBROADCASTSS (R8), Y5
	VFMADD231PS  Y3, Y5, Y7
	ADDQ         $4, R8
	DECQ         CX
	JNZ          group4

done4:
	VADDPS       Y7, Y6, Y6
	VEXTRACTF128 $1, Y6, X7
	VADDPS       X7, X6, X6
	VHADDPS      X6, X6, X6
	VHADDPS      X6, X6, X6
	VZEROUPPER
	MOVSS        X6, ret+40(FP)
	RET

// func rowDot8AVX2(codes *uint32, x *float32, scales *float32, groups, chunks int) float32
//
// Per chunk of 8 code bytes (8 values): zero-extend, convert, multiply-add
// with 8 x values; chunks alternate between two partial vectors.
TEXT ·rowDot8AVX2(SB), NOSPLIT, $0-44
	MOVQ   codes+0(FP), SI
	MOVQ   x+8(FP), DI
	MOVQ   scales+16(FP), R8
	MOVQ   groups+24(FP), CX
	MOVQ   chunks+32(FP), DX
	SHRQ   $1, DX               // chunks come in pairs (group >= 32)
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	TESTQ  CX, CX
	JZ     done8

group8:
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	MOVQ   DX, BX

chunk8:
	VPMOVZXBD   (SI), Y0
	VPMOVZXBD   8(SI), Y1
	VCVTDQ2PS   Y0, Y0
	VCVTDQ2PS   Y1, Y1
	VFMADD231PS (DI), Y0, Y3
	VFMADD231PS 32(DI), Y1, Y4
	ADDQ        $16, SI
	ADDQ        $64, DI
	DECQ        BX
	JNZ         chunk8

	VADDPS       Y4, Y3, Y3
	VBROADCASTSS (R8), Y5
	VFMADD231PS  Y3, Y5, Y6
	ADDQ         $4, R8
	DECQ         CX
	JZ           done8
	VXORPS       Y3, Y3, Y3
	VXORPS       Y4, Y4, Y4
	MOVQ         DX, BX

chunk8b:
	VPMOVZXBD   (SI), Y0
	VPMOVZXBD   8(SI), Y1
	VCVTDQ2PS   Y0, Y0
	VCVTDQ2PS   Y1, Y1
	VFMADD231PS (DI), Y0, Y3
	VFMADD231PS 32(DI), Y1, Y4
	ADDQ        $16, SI
	ADDQ        $64, DI
	DECQ        BX
	JNZ         chunk8b

	VADDPS       Y4, Y3, Y3
	VBROADCASTSS (R8), Y5
	VFMADD231PS  Y3, Y5, Y7
	ADDQ         $4, R8
	DECQ         CX
	JNZ          group8

done8:
	VADDPS       Y7, Y6, Y6
	VEXTRACTF128 $1, Y6, X7
	VADDPS       X7, X6, X6
	VHADDPS      X6, X6, X6
	VHADDPS      X6, X6, X6
	VZEROUPPER
	MOVSS        X6, ret+40(FP)
	RET
