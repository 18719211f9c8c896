package main

// intKernelsSDOT writes int_kernels_arm64.s: the Q4_0 and Q8_0 integer
// row kernels with the dot product extension. The two differ only in how
// a block's 32 weight codes reach V1/V2 and in the block size.
func intKernelsSDOT() string {
	f := &file{}
	f.raw(`
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

`)
	sdotKernel(f, "dotQ40SDOT", 18, func() {
		f.i("VLD1  (R5), [V0.B16]")
		f.i("VAND  V29.B16, V0.B16, V1.B16")
		f.i("VUSHR $4, V0.B16, V2.B16")
		f.i("VSUB  V28.B16, V1.B16, V1.B16")
		f.i("VSUB  V28.B16, V2.B16, V2.B16")
	})
	sdotKernel(f, "dotQ80SDOT", 34, func() {
		f.i("VLD1  (R5), [V1.B16, V2.B16]")
	})
	prefetchL2(f, true)
	return f.text()
}

// sdot writes SDOT Vd.4S, Vn.16B, Vm.16B (signed bytes, four products
// summed into each int32 lane).
func (f *file) sdot(d, n, m int) {
	f.word(0x4e809400|uint32(m)<<16|uint32(n)<<5|uint32(d), sprintf("SDOT V%d.4S, V%d.16B, V%d.16B", d, n, m))
}

// sdotKernel writes one row kernel; codes loads the block's weight codes
// (at R5) as signed bytes into V1 (values 0-15) and V2 (16-31).
func sdotKernel(f *file, name string, blockBytes int, codes func()) {
	f.line("// func %s(rows *byte, stride, n int, act *byte, nb int, y *float32)", name)
	f.line("TEXT ·%s(SB), NOSPLIT, $0-48", name)
	for _, a := range []string{"rows+0(FP), R8", "stride+8(FP), R11", "n+16(FP), R10", "act+24(FP), R12", "nb+32(FP), R13", "y+40(FP), R9"} {
		f.i("MOVD %s", a)
	}
	f.i("VMOVI $15, V29.B16")
	f.i("VMOVI $8, V28.B16")
	f.i("CBZ   R10, %send", name)
	f.label(name + "row")
	f.i("MOVD R8, R0")
	f.i("MOVD R12, R1")
	f.i("MOVD R13, R2")
	f.i("VEOR V26.B16, V26.B16, V26.B16")
	f.i("VEOR V27.B16, V27.B16, V27.B16")
	f.i("CBZ  R2, %sdone", name)
	f.label(name + "loop")
	f.i("// d_w*d_x broadcast into V30.")
	f.i("MOVHU (R0), R4")
	f.i("FMOVS R4, F31")
	f.i("FCVTHS F31, F31")
	f.i("FMOVS 32(R1), F30")
	f.i("FMULS F30, F31, F31")
	f.i("VDUP  V31.S[0], V30.S4")
	f.i("ADD   $2, R0, R5")
	codes()
	f.i("VLD1  (R1), [V3.B16, V4.B16]")
	f.i("ADD   $36, R1")
	f.i("VEOR  V5.B16, V5.B16, V5.B16")
	f.sdot(5, 1, 3)
	f.sdot(5, 2, 4)
	f.scvtf(5)
	f.i("VFMLA V30.S4, V5.S4, V26.S4")
	f.i("ADD  $%d, R0", blockBytes)
	f.i("SUBS $1, R2, R2")
	f.i("BNE  %sloop", name)
	f.label(name + "done")
	f.fadd(26, 26, 27)
	f.faddp(26, 26, 26)
	f.faddpS(0, 26)
	f.i("FMOVS F0, (R9)")
	f.i("ADD  $4, R9")
	f.i("ADD  R11, R8")
	f.i("SUBS $1, R10, R10")
	f.i("BNE  %srow", name)
	f.label(name + "end")
	f.i("RET")
	f.line("")
}
