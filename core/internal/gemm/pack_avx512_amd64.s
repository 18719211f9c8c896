//go:build !noasm

#include "textflag.h"

// func packA14AVX512(kc int, src *float32, idx *[16]int32, dst *float32)
//
// Packs a full 14-row panel of a row-major A: for each k step one gather
// collects the 14 values src[r*lda+p] (idx holds r*lda) and a masked
// store writes them contiguously. Two gathers alternate registers and
// masks so consecutive steps do not wait on each other.
TEXT ·packA14AVX512(SB), NOSPLIT, $0-32
	MOVQ    kc+0(FP), CX
	MOVQ    src+8(FP), SI
	MOVQ    idx+16(FP), AX
	MOVQ    dst+24(FP), DI
	VMOVDQU32 (AX), Z1
	MOVL    $0x3fff, DX
	KMOVW   DX, K3

	CMPQ CX, $2
	JLT  tail

loop2:
	KMOVW     K3, K1
	KMOVW     K3, K2
	VPXORD    Z2, Z2, Z2
	VPXORD    Z3, Z3, Z3
	VPGATHERDD (SI)(Z1*4), K1, Z2
	VPGATHERDD 4(SI)(Z1*4), K2, Z3
	VMOVDQU32 Z2, K3, (DI)
	VMOVDQU32 Z3, K3, 56(DI)
	ADDQ      $8, SI
	ADDQ      $112, DI
	SUBQ      $2, CX
	CMPQ      CX, $2
	JGE       loop2

tail:
	TESTQ CX, CX
	JZ    done
	KMOVW     K3, K1
	VPXORD    Z2, Z2, Z2
	VPGATHERDD (SI)(Z1*4), K1, Z2
	VMOVDQU32 Z2, K3, (DI)

done:
	VZEROUPPER
	RET
