package main

// dotAffine writes dot_amd64.s: the AVX2 matrix-vector kernels of MLX's
// affine layout (4- and 8-bit codes), one input row and four.
func dotAffine() string {
	f := &file{}
	f.raw(`
//go:build amd64 && !noasm

#include "textflag.h"

// func rowDot4AVX2(codes *uint32, xp *float32, scales *float32, blocks, blocksPerGroup int) float32
//
// MLX's qdot trick: a block is 8 code words (64 values); lane i of a
// vector load holds word i, whose nibble k is value 8i+k. Masking nibble
// k in place (no shift) and converting gives q*16^k exactly, so xp holds
// x with the block transposed to [k][i] and nibble k's values pre-scaled
// by 16^-k (exact: a power of two); nibble 7 is shifted down instead,
// because q*2^28 would not fit a signed int32. Per block the partial sum
// is scaled into the row total: with group size 32 lanes 0-3 and 4-7
// belong to two groups (blocksPerGroup = 0), otherwise one scale serves
// blocksPerGroup blocks.
TEXT ·rowDot4AVX2(SB), NOSPLIT, $0-44
	MOVQ codes+0(FP), SI
	MOVQ xp+8(FP), DI
	MOVQ scales+16(FP), R8
	MOVQ blocks+24(FP), CX
	MOVQ blocksPerGroup+32(FP), DX
	MOVQ DX, BX
	VPCMPEQD Y8, Y8, Y8
	VPSRLD   $28, Y8, Y8        // 0x0000000f
	VPSLLD   $4, Y8, Y9         // 0x000000f0
`)
	for k := 2; k < 7; k++ {
		comment := ""
		if k == 6 {
			comment = "       // 0x0f000000"
		}
		f.i("VPSLLD   $4, Y%d, Y%d%s", 7+k, 8+k, comment)
	}
	f.raw(`
	VXORPS   Y6, Y6, Y6
	TESTQ    CX, CX
	JZ       done4

block4:
	VMOVDQU     (SI), Y0
`)
	// Nibble planes k = 0..7 alternate between two partial sums (Y2, Y3)
	// through two scratch registers (Y1, Y4).
	for k := range 8 {
		tmp, acc := 1, 2
		if k%2 == 1 {
			tmp, acc = 4, 3
		}
		if k < 7 {
			f.i("VPAND       Y%d, Y0, Y%d", 8+k, tmp)
		} else {
			f.i("VPSRLD      $28, Y0, Y%d", tmp)
		}
		f.i("VCVTDQ2PS   Y%d, Y%d", tmp, tmp)
		switch k {
		case 0:
			f.i("VMULPS      (DI), Y%d, Y%d", tmp, acc)
		case 1:
			f.i("VMULPS      32(DI), Y%d, Y%d", tmp, acc)
		default:
			f.i("VFMADD231PS %d(DI), Y%d, Y%d", 32*k, tmp, acc)
		}
	}
	f.raw(`
	VADDPS      Y3, Y2, Y2
	TESTQ       DX, DX
	JNZ         wide4
	VBROADCASTSS (R8), X5
	VBROADCASTSS 4(R8), X4
	VINSERTF128  $1, X4, Y5, Y5
	ADDQ         $8, R8
	JMP          scaled4

wide4:
	VBROADCASTSS (R8), Y5
	DECQ         BX
	JNZ          scaled4
	ADDQ         $4, R8
	MOVQ         DX, BX

scaled4:
	VFMADD231PS Y2, Y5, Y6
	ADDQ        $32, SI
	ADDQ        $256, DI
	DECQ        CX
	JNZ         block4

done4:
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

`)
	// Groups alternate between two row totals (Y6, Y7): the loop body is
	// written twice, the second time with the next group's reset.
	for g, lbl := range []string{"chunk8", "chunk8b"} {
		f.label(lbl)
		f.raw(`
	VPMOVZXBD   (SI), Y0
	VPMOVZXBD   8(SI), Y1
	VCVTDQ2PS   Y0, Y0
	VCVTDQ2PS   Y1, Y1
	VFMADD231PS (DI), Y0, Y3
	VFMADD231PS 32(DI), Y1, Y4
	ADDQ        $16, SI
	ADDQ        $64, DI
	DECQ        BX
`)
		f.i("JNZ         %s", lbl)
		f.line("")
		f.i("VADDPS       Y4, Y3, Y3")
		f.i("VBROADCASTSS (R8), Y5")
		f.i("VFMADD231PS  Y3, Y5, Y%d", 6+g)
		f.i("ADDQ         $4, R8")
		f.i("DECQ         CX")
		if g == 0 {
			f.i("JZ           done8")
			f.i("VXORPS       Y3, Y3, Y3")
			f.i("VXORPS       Y4, Y4, Y4")
			f.i("MOVQ         DX, BX")
			f.line("")
		} else {
			f.i("JNZ          group8")
			f.line("")
		}
	}
	f.raw(`
done8:
	VADDPS       Y7, Y6, Y6
	VEXTRACTF128 $1, Y6, X7
	VADDPS       X7, X6, X6
	VHADDPS      X6, X6, X6
	VHADDPS      X6, X6, X6
	VZEROUPPER
	MOVSS        X6, ret+40(FP)
	RET

// Nibble masks 0xf << 4k, k = 0..6, one 32-byte vector each.
`)
	for k := range 7 {
		m := uint64(0xf) << (4 * k)
		for q := range 4 {
			f.line("DATA nib<>+%d(SB)/8, $0x%016x", 32*k+8*q, m<<32|m)
		}
	}
	f.line("GLOBL nib<>(SB), RODATA|NOPTR, $224")
	f.line("")
	f.raw(`
// PLANE4 multiplies nibble plane k (mask offset m, x offset o) into the
// four row accumulators.
#define PLANE4(m, o) \
	VPAND       nib<>+m(SB), Y0, Y1;  \
	VCVTDQ2PS   Y1, Y1;               \
	VFMADD231PS o(DI), Y1, Y2;        \
	VFMADD231PS o(DI)(R9*1), Y1, Y3;  \
	VFMADD231PS o(DI)(R10*1), Y1, Y4; \
	VFMADD231PS o(DI)(R11*1), Y1, Y5

// func rowDot4x4AVX2(codes *uint32, xp *float32, stride int, scales *float32, blocks, blocksPerGroup int, out *float32)
//
// rowDot4AVX2 for four input rows at once (xp, xp+stride, xp+2*stride,
// xp+3*stride bytes): each block's codes are masked and converted once
// and reused by all four, which is what makes a batch cheaper than four
// matrix-vector products. out receives the four sums.
TEXT ·rowDot4x4AVX2(SB), NOSPLIT, $0-56
	MOVQ   codes+0(FP), SI
	MOVQ   xp+8(FP), DI
	MOVQ   stride+16(FP), R9
	MOVQ   scales+24(FP), R8
	MOVQ   blocks+32(FP), CX
	MOVQ   blocksPerGroup+40(FP), DX
	MOVQ   out+48(FP), R12
	LEAQ   (R9)(R9*1), R10
	LEAQ   (R10)(R9*1), R11
	MOVQ   DX, BX
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	TESTQ  CX, CX
	JZ     done44

block44:
	VMOVDQU   (SI), Y0
	VPAND     nib<>+0(SB), Y0, Y1
	VCVTDQ2PS Y1, Y1
	VMULPS    (DI), Y1, Y2
	VMULPS    (DI)(R9*1), Y1, Y3
	VMULPS    (DI)(R10*1), Y1, Y4
	VMULPS    (DI)(R11*1), Y1, Y5
`)
	for k := 1; k < 7; k++ {
		f.i("PLANE4(%d, %d)", 32*k, 32*k)
	}
	f.raw(`
	VPSRLD      $28, Y0, Y1
	VCVTDQ2PS   Y1, Y1
	VFMADD231PS 224(DI), Y1, Y2
	VFMADD231PS 224(DI)(R9*1), Y1, Y3
	VFMADD231PS 224(DI)(R10*1), Y1, Y4
	VFMADD231PS 224(DI)(R11*1), Y1, Y5
	TESTQ       DX, DX
	JNZ         wide44
	VBROADCASTSS (R8), X10
	VBROADCASTSS 4(R8), X11
	VINSERTF128  $1, X11, Y10, Y10
	ADDQ         $8, R8
	JMP          scaled44

wide44:
	VBROADCASTSS (R8), Y10
	DECQ         BX
	JNZ          scaled44
	ADDQ         $4, R8
	MOVQ         DX, BX

scaled44:
	VFMADD231PS Y2, Y10, Y6
	VFMADD231PS Y3, Y10, Y7
	VFMADD231PS Y4, Y10, Y8
	VFMADD231PS Y5, Y10, Y9
	ADDQ        $32, SI
	ADDQ        $256, DI
	DECQ        CX
	JNZ         block44

done44:
`)
	for r := range 4 {
		f.i("VEXTRACTF128 $1, Y%d, X0", 6+r)
		f.i("VADDPS       X0, X%d, X%d", 6+r, 6+r)
		f.i("VHADDPS      X%d, X%d, X%d", 6+r, 6+r, 6+r)
		f.i("VHADDPS      X%d, X%d, X%d", 6+r, 6+r, 6+r)
		if r == 0 {
			f.i("MOVSS        X6, (R12)")
		} else {
			f.i("MOVSS        X%d, %d(R12)", 6+r, 4*r)
		}
	}
	f.i("VZEROUPPER")
	f.i("RET")
	return f.text()
}
