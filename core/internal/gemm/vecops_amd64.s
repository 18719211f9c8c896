//go:build !noasm

#include "textflag.h"

// Dot products and axpy for the matrix-vector paths. Lengths are
// multiples of the vector width (16 for AVX-512, 8 for AVX2); the Go
// callers handle the remainders. Four accumulators hide FMA latency; the
// loops are bound by reading the matrix from memory.

// func sdotAVX512(n int, x, y *float32) float32
TEXT ·sdotAVX512(SB), NOSPLIT, $0-28
	MOVQ   n+0(FP), CX
	MOVQ   x+8(FP), SI
	MOVQ   y+16(FP), DI
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	CMPQ   CX, $64
	JLT    dot16

dot64:
	VMOVUPS     (SI), Z4
	VMOVUPS     64(SI), Z5
	VMOVUPS     128(SI), Z6
	VMOVUPS     192(SI), Z7
	VFMADD231PS (DI), Z4, Z0
	VFMADD231PS 64(DI), Z5, Z1
	VFMADD231PS 128(DI), Z6, Z2
	VFMADD231PS 192(DI), Z7, Z3
	ADDQ        $256, SI
	ADDQ        $256, DI
	SUBQ        $64, CX
	CMPQ        CX, $64
	JGE         dot64

dot16:
	TESTQ       CX, CX
	JZ          reduce
	VMOVUPS     (SI), Z4
	VFMADD231PS (DI), Z4, Z0
	ADDQ        $64, SI
	ADDQ        $64, DI
	SUBQ        $16, CX
	JMP         dot16

reduce:
	VADDPS        Z1, Z0, Z0
	VADDPS        Z3, Z2, Z2
	VADDPS        Z2, Z0, Z0
	VEXTRACTF32X8 $1, Z0, Y1
	VADDPS        Y1, Y0, Y0
	VEXTRACTF128  $1, Y0, X1
	VADDPS        X1, X0, X0
	VHADDPS       X0, X0, X0
	VHADDPS       X0, X0, X0
	MOVSS         X0, ret+24(FP)
	VZEROUPPER
	RET

// func saxpyAVX512(n int, alpha float32, x, y *float32)
// y[i] += alpha * x[i]
TEXT ·saxpyAVX512(SB), NOSPLIT, $0-32
	MOVQ         n+0(FP), CX
	VBROADCASTSS alpha+8(FP), Z0
	MOVQ         x+16(FP), SI
	MOVQ         y+24(FP), DI
	CMPQ         CX, $64
	JLT          axpy16

axpy64:
	VMOVUPS     (DI), Z4
	VMOVUPS     64(DI), Z5
	VMOVUPS     128(DI), Z6
	VMOVUPS     192(DI), Z7
	VFMADD231PS (SI), Z0, Z4
	VFMADD231PS 64(SI), Z0, Z5
	VFMADD231PS 128(SI), Z0, Z6
	VFMADD231PS 192(SI), Z0, Z7
	VMOVUPS     Z4, (DI)
	VMOVUPS     Z5, 64(DI)
	VMOVUPS     Z6, 128(DI)
	VMOVUPS     Z7, 192(DI)
	ADDQ        $256, SI
	ADDQ        $256, DI
	SUBQ        $64, CX
	CMPQ        CX, $64
	JGE         axpy64

axpy16:
	TESTQ       CX, CX
	JZ          axpydone
	VMOVUPS     (DI), Z4
	VFMADD231PS (SI), Z0, Z4
	VMOVUPS     Z4, (DI)
	ADDQ        $64, SI
	ADDQ        $64, DI
	SUBQ        $16, CX
	JMP         axpy16

axpydone:
	VZEROUPPER
	RET

// func sdotAVX2(n int, x, y *float32) float32
TEXT ·sdotAVX2(SB), NOSPLIT, $0-28
	MOVQ   n+0(FP), CX
	MOVQ   x+8(FP), SI
	MOVQ   y+16(FP), DI
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	CMPQ   CX, $32
	JLT    dot8

dot32:
	VMOVUPS     (SI), Y4
	VMOVUPS     32(SI), Y5
	VMOVUPS     64(SI), Y6
	VMOVUPS     96(SI), Y7
	VFMADD231PS (DI), Y4, Y0
	VFMADD231PS 32(DI), Y5, Y1
	VFMADD231PS 64(DI), Y6, Y2
	VFMADD231PS 96(DI), Y7, Y3
	ADDQ        $128, SI
	ADDQ        $128, DI
	SUBQ        $32, CX
	CMPQ        CX, $32
	JGE         dot32

dot8:
	TESTQ       CX, CX
	JZ          reduce2
	VMOVUPS     (SI), Y4
	VFMADD231PS (DI), Y4, Y0
	ADDQ        $32, SI
	ADDQ        $32, DI
	SUBQ        $8, CX
	JMP         dot8

reduce2:
	VADDPS       Y1, Y0, Y0
	VADDPS       Y3, Y2, Y2
	VADDPS       Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VHADDPS      X0, X0, X0
	VHADDPS      X0, X0, X0
	MOVSS        X0, ret+24(FP)
	VZEROUPPER
	RET

// func saxpyAVX2(n int, alpha float32, x, y *float32)
TEXT ·saxpyAVX2(SB), NOSPLIT, $0-32
	MOVQ         n+0(FP), CX
	VBROADCASTSS alpha+8(FP), Y0
	MOVQ         x+16(FP), SI
	MOVQ         y+24(FP), DI

axpy8:
	TESTQ       CX, CX
	JZ          axpy2done
	VMOVUPS     (DI), Y4
	VFMADD231PS (SI), Y0, Y4
	VMOVUPS     Y4, (DI)
	ADDQ        $32, SI
	ADDQ        $32, DI
	SUBQ        $8, CX
	JMP         axpy8

axpy2done:
	VZEROUPPER
	RET

// func sdot4AVX512(n int, a *float32, lda int, x *float32, out *[4]float32)
// out[r] = Σ a[r*lda+i]·x[i] for four rows at once: four read streams keep
// more memory requests in flight than one row at a time.
TEXT ·sdot4AVX512(SB), NOSPLIT, $0-40
	MOVQ   n+0(FP), CX
	MOVQ   a+8(FP), SI
	MOVQ   lda+16(FP), DX
	SHLQ   $2, DX
	MOVQ   x+24(FP), DI
	LEAQ   (SI)(DX*1), R8
	LEAQ   (SI)(DX*2), R9
	LEAQ   (R8)(DX*2), R10
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	XORQ   AX, AX
	CMPQ   CX, $32
	JLT    d4x16

d4x32:
	VMOVUPS     (DI)(AX*4), Z8
	VMOVUPS     64(DI)(AX*4), Z9
	VFMADD231PS (SI)(AX*4), Z8, Z0
	VFMADD231PS 64(SI)(AX*4), Z9, Z4
	VFMADD231PS (R8)(AX*4), Z8, Z1
	VFMADD231PS 64(R8)(AX*4), Z9, Z5
	VFMADD231PS (R9)(AX*4), Z8, Z2
	VFMADD231PS 64(R9)(AX*4), Z9, Z6
	VFMADD231PS (R10)(AX*4), Z8, Z3
	VFMADD231PS 64(R10)(AX*4), Z9, Z7
	ADDQ        $32, AX
	SUBQ        $32, CX
	CMPQ        CX, $32
	JGE         d4x32

d4x16:
	TESTQ       CX, CX
	JZ          d4reduce
	VMOVUPS     (DI)(AX*4), Z8
	VFMADD231PS (SI)(AX*4), Z8, Z0
	VFMADD231PS (R8)(AX*4), Z8, Z1
	VFMADD231PS (R9)(AX*4), Z8, Z2
	VFMADD231PS (R10)(AX*4), Z8, Z3

d4reduce:
	VADDPS Z4, Z0, Z0
	VADDPS Z5, Z1, Z1
	VADDPS Z6, Z2, Z2
	VADDPS Z7, Z3, Z3
	// Reduce the four accumulators together: fold halves and interleave
	// until lane r of X0 holds row r's sum.
	VEXTRACTF32X8 $1, Z0, Y8
	VADDPS        Y8, Y0, Y0
	VEXTRACTF32X8 $1, Z1, Y8
	VADDPS        Y8, Y1, Y1
	VEXTRACTF32X8 $1, Z2, Y8
	VADDPS        Y8, Y2, Y2
	VEXTRACTF32X8 $1, Z3, Y8
	VADDPS        Y8, Y3, Y3
	VHADDPS       Y1, Y0, Y0
	VHADDPS       Y3, Y2, Y2
	VHADDPS       Y2, Y0, Y0
	VEXTRACTF128  $1, Y0, X1
	VADDPS        X1, X0, X0
	MOVQ          out+32(FP), AX
	VMOVUPS       X0, (AX)
	VZEROUPPER
	RET

// func sdot4F16AVX512(n int, a *uint16, lda int, x *float32, out *[4]float32)
// sdot4AVX512 over float16 rows, widened in registers as they are
// loaded, so the matrix is read once at two bytes per element.
TEXT ·sdot4F16AVX512(SB), NOSPLIT, $0-40
	MOVQ   n+0(FP), CX
	MOVQ   a+8(FP), SI
	MOVQ   lda+16(FP), DX
	SHLQ   $1, DX
	MOVQ   x+24(FP), DI
	LEAQ   (SI)(DX*1), R8
	LEAQ   (SI)(DX*2), R9
	LEAQ   (R8)(DX*2), R10
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	XORQ   AX, AX
	CMPQ   CX, $32
	JLT    d4x16X512

d4x32X512:
	VMOVUPS     (DI)(AX*4), Z8
	VMOVUPS     64(DI)(AX*4), Z9
	VCVTPH2PS (SI)(AX*2), Z10
	VFMADD231PS Z10, Z8, Z0
	VCVTPH2PS 32(SI)(AX*2), Z10
	VFMADD231PS Z10, Z9, Z4
	VCVTPH2PS (R8)(AX*2), Z10
	VFMADD231PS Z10, Z8, Z1
	VCVTPH2PS 32(R8)(AX*2), Z10
	VFMADD231PS Z10, Z9, Z5
	VCVTPH2PS (R9)(AX*2), Z10
	VFMADD231PS Z10, Z8, Z2
	VCVTPH2PS 32(R9)(AX*2), Z10
	VFMADD231PS Z10, Z9, Z6
	VCVTPH2PS (R10)(AX*2), Z10
	VFMADD231PS Z10, Z8, Z3
	VCVTPH2PS 32(R10)(AX*2), Z10
	VFMADD231PS Z10, Z9, Z7
	ADDQ        $32, AX
	SUBQ        $32, CX
	CMPQ        CX, $32
	JGE         d4x32X512

d4x16X512:
	TESTQ       CX, CX
	JZ          d4reduceX512
	VMOVUPS     (DI)(AX*4), Z8
	VCVTPH2PS (SI)(AX*2), Z10
	VFMADD231PS Z10, Z8, Z0
	VCVTPH2PS (R8)(AX*2), Z10
	VFMADD231PS Z10, Z8, Z1
	VCVTPH2PS (R9)(AX*2), Z10
	VFMADD231PS Z10, Z8, Z2
	VCVTPH2PS (R10)(AX*2), Z10
	VFMADD231PS Z10, Z8, Z3

d4reduceX512:
	VADDPS Z4, Z0, Z0
	VADDPS Z5, Z1, Z1
	VADDPS Z6, Z2, Z2
	VADDPS Z7, Z3, Z3
	// Reduce the four accumulators together: fold halves and interleave
	// until lane r of X0 holds row r's sum.
	VEXTRACTF32X8 $1, Z0, Y8
	VADDPS        Y8, Y0, Y0
	VEXTRACTF32X8 $1, Z1, Y8
	VADDPS        Y8, Y1, Y1
	VEXTRACTF32X8 $1, Z2, Y8
	VADDPS        Y8, Y2, Y2
	VEXTRACTF32X8 $1, Z3, Y8
	VADDPS        Y8, Y3, Y3
	VHADDPS       Y1, Y0, Y0
	VHADDPS       Y3, Y2, Y2
	VHADDPS       Y2, Y0, Y0
	VEXTRACTF128  $1, Y0, X1
	VADDPS        X1, X0, X0
	MOVQ          out+32(FP), AX
	VMOVUPS       X0, (AX)
	VZEROUPPER
	RET

// func sdot4BF16AVX512(n int, a *uint16, lda int, x *float32, out *[4]float32)
// sdot4AVX512 over bfloat16 rows, widened in registers as they are
// loaded, so the matrix is read once at two bytes per element.
TEXT ·sdot4BF16AVX512(SB), NOSPLIT, $0-40
	MOVQ   n+0(FP), CX
	MOVQ   a+8(FP), SI
	MOVQ   lda+16(FP), DX
	SHLQ   $1, DX
	MOVQ   x+24(FP), DI
	LEAQ   (SI)(DX*1), R8
	LEAQ   (SI)(DX*2), R9
	LEAQ   (R8)(DX*2), R10
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	XORQ   AX, AX
	CMPQ   CX, $32
	JLT    d4x16X512

d4x32X512:
	VMOVUPS     (DI)(AX*4), Z8
	VMOVUPS     64(DI)(AX*4), Z9
	VPMOVZXWD (SI)(AX*2), Z10
	VPSLLD    $16, Z10, Z10
	VFMADD231PS Z10, Z8, Z0
	VPMOVZXWD 32(SI)(AX*2), Z10
	VPSLLD    $16, Z10, Z10
	VFMADD231PS Z10, Z9, Z4
	VPMOVZXWD (R8)(AX*2), Z10
	VPSLLD    $16, Z10, Z10
	VFMADD231PS Z10, Z8, Z1
	VPMOVZXWD 32(R8)(AX*2), Z10
	VPSLLD    $16, Z10, Z10
	VFMADD231PS Z10, Z9, Z5
	VPMOVZXWD (R9)(AX*2), Z10
	VPSLLD    $16, Z10, Z10
	VFMADD231PS Z10, Z8, Z2
	VPMOVZXWD 32(R9)(AX*2), Z10
	VPSLLD    $16, Z10, Z10
	VFMADD231PS Z10, Z9, Z6
	VPMOVZXWD (R10)(AX*2), Z10
	VPSLLD    $16, Z10, Z10
	VFMADD231PS Z10, Z8, Z3
	VPMOVZXWD 32(R10)(AX*2), Z10
	VPSLLD    $16, Z10, Z10
	VFMADD231PS Z10, Z9, Z7
	ADDQ        $32, AX
	SUBQ        $32, CX
	CMPQ        CX, $32
	JGE         d4x32X512

d4x16X512:
	TESTQ       CX, CX
	JZ          d4reduceX512
	VMOVUPS     (DI)(AX*4), Z8
	VPMOVZXWD (SI)(AX*2), Z10
	VPSLLD    $16, Z10, Z10
	VFMADD231PS Z10, Z8, Z0
	VPMOVZXWD (R8)(AX*2), Z10
	VPSLLD    $16, Z10, Z10
	VFMADD231PS Z10, Z8, Z1
	VPMOVZXWD (R9)(AX*2), Z10
	VPSLLD    $16, Z10, Z10
	VFMADD231PS Z10, Z8, Z2
	VPMOVZXWD (R10)(AX*2), Z10
	VPSLLD    $16, Z10, Z10
	VFMADD231PS Z10, Z8, Z3

d4reduceX512:
	VADDPS Z4, Z0, Z0
	VADDPS Z5, Z1, Z1
	VADDPS Z6, Z2, Z2
	VADDPS Z7, Z3, Z3
	// Reduce the four accumulators together: fold halves and interleave
	// until lane r of X0 holds row r's sum.
	VEXTRACTF32X8 $1, Z0, Y8
	VADDPS        Y8, Y0, Y0
	VEXTRACTF32X8 $1, Z1, Y8
	VADDPS        Y8, Y1, Y1
	VEXTRACTF32X8 $1, Z2, Y8
	VADDPS        Y8, Y2, Y2
	VEXTRACTF32X8 $1, Z3, Y8
	VADDPS        Y8, Y3, Y3
	VHADDPS       Y1, Y0, Y0
	VHADDPS       Y3, Y2, Y2
	VHADDPS       Y2, Y0, Y0
	VEXTRACTF128  $1, Y0, X1
	VADDPS        X1, X0, X0
	MOVQ          out+32(FP), AX
	VMOVUPS       X0, (AX)
	VZEROUPPER
	RET
