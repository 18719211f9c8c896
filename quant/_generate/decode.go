package main

// blockDecode writes block_decode_amd64.s: ggml's to_float for Q4_0 and
// Q8_0 blocks in AVX-512, 32 values (two zmm) per block.
func blockDecode() string {
	f := &file{}
	f.raw(`
//go:build amd64 && !noasm

#include "textflag.h"

// Block decoders: ggml's to_float for Q4_0 and Q8_0, 16 lanes at a time.
// Each value is float32(q - 8) * d (Q4_0) or float32(q) * d (Q8_0) with
// one rounding, as core/gguf's reference decoder computes it.

`)
	decodeHead(f, "decodeQ40AVX512")
	zOnes(f, 8)
	f.i("VPSRLD   $28, Z8, Z8        // 15")
	f.i("VPSRLD   $3, Z8, Z9         // 1")
	f.i("VPSLLD   $3, Z9, Z9         // 8")
	loopHead(f, "q40dloop", "q40ddone")
	f.i("VPMOVZXBD   2(SI), Z0")
	f.i("VPANDD      Z8, Z0, Z1")
	f.i("VPSRLD      $4, Z0, Z0")
	f.i("VPSUBD      Z9, Z1, Z1")
	f.i("VPSUBD      Z9, Z0, Z0")
	decodeStore(f, 1, 0)
	decodeTail(f, "q40dloop", "q40ddone", 18)

	decodeHead(f, "decodeQ80AVX512")
	loopHead(f, "q80dloop", "q80ddone")
	f.i("VPMOVSXBD   2(SI), Z0")
	f.i("VPMOVSXBD   18(SI), Z1")
	decodeStore(f, 0, 1)
	decodeTail(f, "q80dloop", "q80ddone", 34)
	return f.text()
}

func decodeHead(f *file, name string) {
	f.line("// func %s(dst *float32, src *byte, nb int)", name)
	f.line("TEXT ·%s(SB), NOSPLIT, $0-24", name)
	f.i("MOVQ dst+0(FP), DI")
	f.i("MOVQ src+8(FP), SI")
	f.i("MOVQ nb+16(FP), CX")
}

// decodeStore converts the codes of values 0-15 (Z<lo>) and 16-31
// (Z<hi>), scales them by the block's d and stores them.
func decodeStore(f *file, lo, hi int) {
	f.i("VCVTDQ2PS   Z%d, Z%d", lo, lo)
	f.i("VCVTDQ2PS   Z%d, Z%d", hi, hi)
	zF16(f, 0, "AX", 5)
	f.i("VMULPS      Z5, Z%d, Z%d", lo, lo)
	f.i("VMULPS      Z5, Z%d, Z%d", hi, hi)
	f.i("VMOVUPS     Z%d, (DI)", lo)
	f.i("VMOVUPS     Z%d, 64(DI)", hi)
}

func decodeTail(f *file, loop, done string, bb int) {
	loopTail(f, loop, done, sprintf("$%d, SI", bb), "$128, DI")
	f.i("VZEROUPPER")
	f.i("RET")
	f.line("")
}
