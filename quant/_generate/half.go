package main

// halfKernels writes half_kernels_amd64.s: the row dots of F16 and BF16
// weights (core.SchemeF16/SchemeBF16) with float32 x, converting each
// half in the inner loop, in AVX2 (8 lanes) and AVX-512 (16 lanes).
func halfKernels() string {
	f := &file{}
	f.raw(`
//go:build amd64 && !noasm

// Row dots of F16/BF16 weights with float32 x (see half.go): F16 through
// F16C's VCVTPH2PS, BF16 zero-extended to 32 bits and shifted left by 16
// (a bf16 is the high half of a float32). Four accumulators over four
// vectors per pass, then one vector per pass, then one value per pass.

#include "textflag.h"

`)
	for _, v := range []halfVariant{
		{"dotF16AVX2", "Y", 8, false},
		{"dotBF16AVX2", "Y", 8, true},
		{"dotF16AVX512", "Z", 16, false},
		{"dotBF16AVX512", "Z", 16, true},
	} {
		v.emit(f)
	}
	return f.text()
}

// halfVariant is one kernel: its name, vector register letter, lanes
// and whether it reads bf16 (else f16).
type halfVariant struct {
	name  string
	reg   string
	lanes int
	bf16  bool
}

// load converts the lanes halves at off(SI) to float32 in register r.
func (v halfVariant) load(f *file, off, r int) {
	if v.bf16 {
		f.i("VPMOVZXWD   %d(SI), %s%d", off, v.reg, r)
		f.i("VPSLLD      $16, %s%d, %s%d", v.reg, r, v.reg, r)
		return
	}
	f.i("VCVTPH2PS   %d(SI), %s%d", off, v.reg, r)
}

func (v halfVariant) emit(f *file) {
	r := func(i int) string { return sprintf("%s%d", v.reg, i) }
	w := v.lanes
	f.line("// func %s(row *byte, x *float32, xs *float32, n int) float32", v.name)
	f.line("TEXT ·%s(SB), NOSPLIT, $0-36", v.name)
	f.i("MOVQ row+0(FP), SI")
	f.i("MOVQ x+8(FP), DI")
	f.i("MOVQ n+24(FP), CX")
	for k := range 4 {
		if v.reg == "Z" {
			f.i("VPXORD %s, %s, %s", r(k), r(k), r(k))
		} else {
			f.i("VXORPS %s, %s, %s", r(k), r(k), r(k))
		}
	}
	f.label("loop4")
	f.i("CMPQ CX, $%d", 4*w)
	f.i("JLT  loop1")
	for k := range 4 {
		v.load(f, 2*w*k, 4+k)
	}
	for k := range 4 {
		f.i("VFMADD231PS %d(DI), %s, %s", 4*w*k, r(4+k), r(k))
	}
	f.i("ADDQ $%d, SI", 8*w)
	f.i("ADDQ $%d, DI", 16*w)
	f.i("SUBQ $%d, CX", 4*w)
	f.i("JMP  loop4")
	f.label("loop1")
	f.i("CMPQ CX, $%d", w)
	f.i("JLT  tail")
	v.load(f, 0, 4)
	f.i("VFMADD231PS (DI), %s, %s", r(4), r(0))
	f.i("ADDQ $%d, SI", 2*w)
	f.i("ADDQ $%d, DI", 4*w)
	f.i("SUBQ $%d, CX", w)
	f.i("JMP  loop1")
	f.label("tail")
	f.i("VADDPS      %s, %s, %s", r(1), r(0), r(0))
	f.i("VADDPS      %s, %s, %s", r(3), r(2), r(2))
	f.i("VADDPS      %s, %s, %s", r(2), r(0), r(0))
	if v.reg == "Z" {
		f.i("VEXTRACTF64X4 $1, Z0, Y1")
		f.i("VADDPS      Y1, Y0, Y0")
	}
	f.i("VEXTRACTF128 $1, Y0, X1")
	f.i("VADDPS      X1, X0, X0")
	f.i("VHADDPS     X0, X0, X0")
	f.i("VHADDPS     X0, X0, X0")
	f.i("TESTQ CX, CX")
	f.i("JZ    done")
	f.label("scalar")
	f.i("MOVWLZX     (SI), AX")
	if v.bf16 {
		f.i("SHLL        $16, AX")
		f.i("VMOVD       AX, X4")
	} else {
		f.i("VMOVD       AX, X4")
		f.i("VCVTPH2PS   X4, X4")
	}
	f.i("VFMADD231SS (DI), X4, X0")
	f.i("ADDQ $2, SI")
	f.i("ADDQ $4, DI")
	f.i("DECQ CX")
	f.i("JNZ  scalar")
	f.label("done")
	f.i("VZEROUPPER")
	f.i("MOVSS       X0, ret+32(FP)")
	f.i("RET")
	f.line("")
}

// halfKernelsNEON writes half_kernels_arm64.s: the F16/BF16 row dots in
// NEON (FCVTL for f16, SHLL #16 for bf16, both WORD encodings).
func halfKernelsNEON() string {
	f := &file{}
	f.raw(`
//go:build !noasm

// NEON row dots of F16/BF16 weights with float32 x (see half.go): F16
// widened with FCVTL/FCVTL2, BF16 with SHLL/SHLL2 #16 (a bf16 is the high
// half of a float32), both WORD encodings as Go's assembler lacks them.
// Four accumulators over 16 values per pass, then 4 values per pass,
// then one value per pass.

#include "textflag.h"

`)
	neonHalf(f, "dotF16NEON", false)
	neonHalf(f, "dotBF16NEON", true)
	return f.text()
}

// neonHalf writes one NEON half row dot.
func neonHalf(f *file, name string, bf16 bool) {
	widen := func(d, n int, upper bool) {
		if bf16 {
			f.shll16(d, n, upper)
		} else {
			f.fcvtl(d, n, upper)
		}
	}
	f.line("// func %s(row *byte, x *float32, xs *float32, n int) float32", name)
	f.line("TEXT ·%s(SB), NOSPLIT, $0-36", name)
	f.i("MOVD row+0(FP), R0")
	f.i("MOVD x+8(FP), R1")
	f.i("MOVD n+24(FP), R2")
	for k := range 4 {
		f.i("VEOR V%d.B16, V%d.B16, V%d.B16", 16+k, 16+k, 16+k)
	}
	f.label("loop16")
	f.i("CMP  $16, R2")
	f.i("BLT  loop4")
	f.i("VLD1.P 32(R0), [V0.B16, V1.B16]")
	widen(2, 0, false)
	widen(3, 0, true)
	widen(4, 1, false)
	widen(5, 1, true)
	f.i("VLD1.P 64(R1), [%s]", xQuad(6))
	for k := range 4 {
		f.i("VFMLA V%d.S4, V%d.S4, V%d.S4", 6+k, 2+k, 16+k)
	}
	f.i("SUB  $16, R2")
	f.i("B    loop16")
	f.label("loop4")
	f.i("CMP  $4, R2")
	f.i("BLT  tail")
	f.i("VLD1.P 8(R0), [V0.B8]")
	widen(2, 0, false)
	f.i("VLD1.P 16(R1), [V6.S4]")
	f.i("VFMLA V6.S4, V2.S4, V16.S4")
	f.i("SUB  $4, R2")
	f.i("B    loop4")
	f.label("tail")
	f.fadd(16, 16, 17)
	f.fadd(18, 18, 19)
	f.fadd(16, 16, 18)
	f.faddp(16, 16, 16)
	f.faddpS(0, 16)
	f.i("CBZ  R2, done")
	f.label("scalar")
	f.i("MOVHU.P 2(R0), R4")
	if bf16 {
		f.i("LSLW $16, R4, R4")
		f.i("FMOVS R4, F1")
	} else {
		f.i("FMOVS R4, F1")
		f.i("FCVTHS F1, F1")
	}
	f.i("FMOVS.P 4(R1), F2")
	f.i("FMULS F2, F1, F1")
	f.i("FADDS F1, F0, F0")
	f.i("SUBS $1, R2, R2")
	f.i("BNE  scalar")
	f.label("done")
	f.i("FMOVS F0, ret+32(FP)")
	f.i("RET")
	f.line("")
}
