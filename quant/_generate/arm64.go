package main

// blockKernelsNEON writes block_kernels_arm64.s. Registers, by convention
// across the kernels: R0 the row, R1 x, R3 xs, R2 the block count; V26 the
// Σ scale*Σq*x, V27 the Σ min*xs (or a second accumulator), V30 the block
// scale d, V29 the nibble mask.
func blockKernelsNEON() string {
	f := &file{}
	f.raw(`
//go:build !noasm

// NEON row kernels for ggml blocks of every scheme (see
// rowKernel; Q6_K subtracts 32 from its codes and reads no xs). Go's
// arm64 assembler has no vector SXTL, SCVTF, UCVTF, FMUL, FADD or FADDP,
// so those are WORD encodings (commented with the instruction).

#include "textflag.h"

`)
	neonQ80(f)
	neonQ40(f)
	neonQ4K(f)
	neonQ5K(f)
	neonQ6K(f)
	neonQ41(f)
	neonQ50(f)
	neonQ51(f)
	neonIQ4NL(f)
	neonQ2K(f)
	neonQ3K(f)
	f.line("// q5index: VTBL indices spreading qh (as bytes 0-3) so that byte j holds")
	f.line("// the qh byte with bit j (values 0-15, then 16-31), and the bit of each.")
	dataInts(f, "q5index<>", 1, q5Index())
	f.line("")
	f.line("// kvalues_iq4nl, ggml's IQ4_NL codebook.")
	dataInts(f, "iq4nlTable<>", 1, iq4nlBytes())
	return f.text()
}

// neonHead writes the comment, TEXT line and argument loads (xs only when
// the kernel reads it) and clears V26 and V27.
func neonHead(f *file, name string, xs bool) {
	f.line("// func %s(row *byte, x *float32, xs *float32, nb int) float32", name)
	f.line("TEXT ·%s(SB), NOSPLIT, $0-36", name)
	f.i("MOVD row+0(FP), R0")
	f.i("MOVD x+8(FP), R1")
	if xs {
		f.i("MOVD xs+16(FP), R3")
	}
	f.i("MOVD nb+24(FP), R2")
	if xs {
		f.i("VEOR V26.B16, V26.B16, V26.B16   // sum")
		f.i("VEOR V27.B16, V27.B16, V27.B16   // offset sum")
	} else {
		f.i("VEOR V26.B16, V26.B16, V26.B16")
		f.i("VEOR V27.B16, V27.B16, V27.B16")
	}
}

// neonLoop skips the loop for nb == 0 and opens it.
func neonLoop(f *file, name string) {
	f.i("CBZ  R2, %sdone", name)
	f.label(name + "loop")
}

// neonNext advances the row by size bytes and closes the loop.
func neonNext(f *file, name string, size int) {
	f.i("ADD  $%d, R0", size)
	f.i("SUBS $1, R2, R2")
	f.i("BNE  %sloop", name)
	f.label(name + "done")
}

// neonRet returns F0.
func neonRet(f *file) {
	f.i("FMOVS F0, ret+32(FP)")
	f.i("RET")
	f.line("")
}

// neonF16 broadcasts the f16 at addr to V<dst>.S4, through R4 and F<tmp>.
func neonF16(f *file, addr string, tmp, dst int) {
	f.i("MOVHU %s, R4", addr)
	f.i("FMOVS R4, F%d", tmp)
	f.i("FCVTHS F%d, F%d", tmp, tmp)
	f.i("VDUP  V%d.S[0], V%d.S4", tmp, dst)
}

// neonLoad loads the registers regs (e.g. "V0.B16, V1.B16") from off(R0).
func neonLoad(f *file, off int, regs string) {
	f.i("ADD   $%d, R0, R5", off)
	f.i("VLD1  (R5), [%s]", regs)
}

// sxtl32 widens the 16 int8 in V<src> to int32 in V<d>..V<d+3> through
// V<h>, V<h+1>, and converts them to float32.
func sxtl32(f *file, src, h, d int) {
	f.sxtl(h, src, false, true)
	f.sxtl(h+1, src, true, true)
	f.sxtl(d, h, false, false)
	f.sxtl(d+1, h, true, false)
	f.sxtl(d+2, h+1, false, false)
	f.sxtl(d+3, h+1, true, false)
	for k := range 4 {
		f.scvtf(d + k)
	}
}

// uxtl32 widens the 16 uint8 in V<src> to float32 in V<d>..V<d+3>
// (through V3, V4).
func uxtl32(f *file, src, d int) {
	f.i("VUXTL  V%d.B8, V3.H8", src)
	f.i("VUXTL2 V%d.B16, V4.H8", src)
	f.i("VUXTL  V3.H4, V%d.S4", d)
	f.i("VUXTL2 V3.H8, V%d.S4", d+1)
	f.i("VUXTL  V4.H4, V%d.S4", d+2)
	f.i("VUXTL2 V4.H8, V%d.S4", d+3)
	for k := range 4 {
		f.ucvtf(d + k)
	}
}

// xQuad is the list of four consecutive float32x4 registers from V<r>.
func xQuad(r int) string {
	return sprintf("V%d.S4, V%d.S4, V%d.S4, V%d.S4", r, r+1, r+2, r+3)
}

// dot32 dots the 32 values in V8-V15 with the next 32 x (loaded into
// V<x>..V<x+3>, R1 advanced) into V<acc>.
func dot32(f *file, x, acc int) {
	f.i("VLD1.P 64(R1), [%s]", xQuad(x))
	f.fmul(acc, 8, x)
	for k := 1; k < 4; k++ {
		f.i("VFMLA V%d.S4, V%d.S4, V%d.S4", x+k, 8+k, acc)
	}
	f.i("VLD1.P 64(R1), [%s]", xQuad(x))
	for k := range 4 {
		f.i("VFMLA V%d.S4, V%d.S4, V%d.S4", x+k, 12+k, acc)
	}
}

// scaleAccNEON adds V<sum> times lane j of the scales (V<s0>.S[0..3],
// then V<s0+1>...) to V26, through V<dup>.
func scaleAccNEON(f *file, s0, j, dup, sum int) {
	f.i("VDUP  V%d.S[%d], V%d.S4", s0+j/4, j%4, dup)
	f.i("VFMLA V%d.S4, V%d.S4, V26.S4", dup, sum)
}

// s8Block32 dots the 32 int8 codes in V0, V1 with the block's x and adds
// d (V30) times that to V26.
func s8Block32(f *file) {
	f.sxtl(2, 0, false, true)
	f.sxtl(3, 0, true, true)
	f.sxtl(4, 1, false, true)
	f.sxtl(5, 1, true, true)
	for h := 2; h < 6; h++ {
		f.sxtl(6+2*(h-2), h, false, false)
		f.sxtl(7+2*(h-2), h, true, false)
	}
	for r := 6; r < 14; r++ {
		f.scvtf(r)
	}
	f.i("VLD1.P 64(R1), [%s]", xQuad(16))
	f.i("VLD1.P 64(R1), [%s]", xQuad(20))
	f.fmul(24, 6, 16)
	f.fmul(25, 7, 17)
	for k := 2; k < 8; k++ {
		f.i("VFMLA V%d.S4, V%d.S4, V%d.S4", 16+k, 6+k, 24+k%2)
	}
	f.fadd(24, 24, 25)
	f.i("VFMLA V30.S4, V24.S4, V26.S4")
}

// sumV26 leaves the sum of V26 (plus V27 when both) in F0.
func sumV26(f *file, both bool) {
	if both {
		f.fadd(26, 26, 27)
	}
	f.faddp(26, 26, 26)
	f.faddpS(0, 26)
}

func neonQ80(f *file) {
	neonHead(f, "dotQ80NEON", false)
	neonLoop(f, "dotQ80NEON")
	neonF16(f, "(R0)", 31, 30)
	neonLoad(f, 2, "V0.B16, V1.B16")
	s8Block32(f)
	neonNext(f, "dotQ80NEON", 34)
	sumV26(f, true)
	neonRet(f)
}

func neonQ40(f *file) {
	neonHead(f, "dotQ40NEON", false)
	f.i("VMOVI $15, V29.B16")
	f.i("VMOVI $8, V28.B16")
	neonLoop(f, "dotQ40NEON")
	neonF16(f, "(R0)", 31, 30)
	neonLoad(f, 2, "V2.B16")
	f.i("VAND  V29.B16, V2.B16, V0.B16")
	f.i("VUSHR $4, V2.B16, V1.B16")
	f.i("VSUB  V28.B16, V0.B16, V0.B16")
	f.i("VSUB  V28.B16, V1.B16, V1.B16")
	s8Block32(f)
	neonNext(f, "dotQ40NEON", 18)
	sumV26(f, true)
	neonRet(f)
}

// kScalesNEON unpacks the Q4_K/Q5_K scales and mins: d*sc_j into V24
// (j < 4) and V25, and adds Σ dmin*m_j*xs_j to V27 (xs advanced).
func kScalesNEON(f *file) {
	f.raw(`
	MOVWU 4(R0), R6
	MOVWU 8(R0), R7
	MOVWU 12(R0), R8
	LSRW  $4, R8, R9
	ANDW  $0x0f0f0f0f, R9
	LSRW  $6, R7, R10
	ANDW  $0x03030303, R10
	LSLW  $4, R10
	ORRW  R10, R9             // mins 4-7
	ANDW  $0x3f3f3f3f, R7, R11 // mins 0-3
	ANDW  $0x0f0f0f0f, R8, R12
	LSRW  $6, R6, R13
	ANDW  $0x03030303, R13
	LSLW  $4, R13
	ORRW  R13, R12            // scales 4-7
	ANDW  $0x3f3f3f3f, R6     // scales 0-3
	ORR   R12<<32, R6, R6
	ORR   R9<<32, R11, R11
`)
	neonF16(f, "0(R0)", 31, 30)
	neonF16(f, "2(R0)", 22, 28)
	for _, s := range []struct {
		gp       string
		d, scale int
	}{{"R6", 24, 30}, {"R11", 4, 28}} {
		f.i("FMOVD %s, F2", s.gp)
		f.i("VUXTL V2.B8, V3.H8")
		f.i("VUXTL  V3.H4, V%d.S4", s.d)
		f.i("VUXTL2 V3.H8, V%d.S4", s.d+1)
		f.ucvtf(s.d)
		f.ucvtf(s.d + 1)
		f.fmul(s.d, s.d, s.scale)
		f.fmul(s.d+1, s.d+1, s.scale)
	}
	f.i("VLD1.P 32(R3), [V6.S4, V7.S4]")
	f.i("VFMLA V6.S4, V4.S4, V27.S4")
	f.i("VFMLA V7.S4, V5.S4, V27.S4")
}

// kDoneNEON returns Σ V26 - Σ V27, the latter times the constant mul
// (an FMOVS immediate) when it is not empty.
func kDoneNEON(f *file, mul string) {
	f.faddp(26, 26, 26)
	f.faddpS(0, 26)
	f.faddp(27, 27, 27)
	f.faddpS(1, 27)
	if mul != "" {
		f.i("FMOVS %s, F2", mul)
		f.i("FMULS F2, F1, F1")
	}
	f.i("FSUBS F1, F0, F0")
	neonRet(f)
}

func neonQ4K(f *file) {
	neonHead(f, "dotQ4KNEON", true)
	f.i("VMOVI $15, V29.B16")
	neonLoop(f, "dotQ4KNEON")
	kScalesNEON(f)
	for g := range 4 {
		neonLoad(f, 16+32*g, "V0.B16, V1.B16")
		for hi := range 2 {
			for k := range 2 {
				if hi == 0 {
					f.i("VAND  V29.B16, V%d.B16, V2.B16", k)
				} else {
					f.i("VUSHR $4, V%d.B16, V2.B16", k)
				}
				uxtl32(f, 2, 8+4*k)
			}
			dot32(f, 16, 20)
			scaleAccNEON(f, 24, 2*g+hi, 21, 20)
		}
	}
	neonNext(f, "dotQ4KNEON", 144)
	kDoneNEON(f, "")
}

func neonQ5K(f *file) {
	neonHead(f, "dotQ5KNEON", true)
	f.i("VMOVI $15, V29.B16")
	f.i("VMOVI $1, V23.B16")
	neonLoop(f, "dotQ5KNEON")
	kScalesNEON(f)
	f.i("ADD   $16, R0, R5")
	f.i("VLD1  (R5), [V18.B16, V19.B16]   // qh")
	for g := range 4 {
		neonLoad(f, 48+32*g, "V0.B16, V1.B16")
		for hi := range 2 {
			bit := 2*g + hi
			for k := range 2 {
				if hi == 0 {
					f.i("VAND  V29.B16, V%d.B16, V2.B16", k)
				} else {
					f.i("VUSHR $4, V%d.B16, V2.B16", k)
				}
				if bit == 0 {
					f.i("VAND  V23.B16, V%d.B16, V3.B16", 18+k)
				} else {
					f.i("VUSHR $%d, V%d.B16, V3.B16", bit, 18+k)
					f.i("VAND  V23.B16, V3.B16, V3.B16")
				}
				f.i("VSHL  $4, V3.B16, V3.B16")
				f.i("VORR  V3.B16, V2.B16, V2.B16")
				uxtl32(f, 2, 8+4*k)
			}
			dot32(f, 4, 16)
			scaleAccNEON(f, 24, bit, 17, 16)
		}
	}
	neonNext(f, "dotQ5KNEON", 176)
	kDoneNEON(f, "")
}

func neonQ6K(f *file) {
	neonHead(f, "dotQ6KNEON", true)
	f.i("VMOVI $15, V29.B16")
	f.i("VMOVI $3, V23.B16")
	f.i("VMOVI $32, V22.B16")
	neonLoop(f, "dotQ6KNEON")
	neonF16(f, "208(R0)", 31, 30)
	neonLoad(f, 192, "V2.B16")
	sxtl32(f, 2, 3, 16)
	for r := 16; r < 20; r++ {
		f.fmul(r, r, 30)
	}
	for h := range 2 {
		for p := range 2 {
			neonLoad(f, 64*h+16*p, "V0.B16")
			neonLoad(f, 64*h+32+16*p, "V1.B16")
			neonLoad(f, 128+32*h+16*p, "V2.B16")
			for v := range 4 {
				if v < 2 {
					f.i("VAND  V29.B16, V%d.B16, V3.B16", v)
				} else {
					f.i("VUSHR $4, V%d.B16, V3.B16", v-2)
				}
				if v == 0 {
					f.i("VAND  V23.B16, V2.B16, V4.B16")
				} else {
					f.i("VUSHR $%d, V2.B16, V4.B16", 2*v)
					f.i("VAND  V23.B16, V4.B16, V4.B16")
				}
				f.i("VSHL  $4, V4.B16, V4.B16")
				f.i("VORR  V4.B16, V3.B16, V3.B16")
				f.i("VSUB  V22.B16, V3.B16, V3.B16")
				sxtl32(f, 3, 4, 8)
				f.i("ADD   $%d, R1, R5", 512*h+128*v+64*p)
				f.i("VLD1  (R5), [%s]", xQuad(12))
				f.fmul(20, 8, 12)
				for k := 1; k < 4; k++ {
					f.i("VFMLA V%d.S4, V%d.S4, V20.S4", 12+k, 8+k)
				}
				scaleAccNEON(f, 16, 8*h+2*v+p, 21, 20)
			}
		}
	}
	f.i("ADD  $1024, R1")
	neonNext(f, "dotQ6KNEON", 210)
	f.faddp(26, 26, 26)
	f.faddpS(0, 26)
	neonRet(f)
}

// q5Index is the q5index table: for j < 32 the qh byte holding bit j,
// then for values 0-15 the mask of that bit within its byte.
func q5Index() []int {
	v := make([]int, 48)
	for j := range 32 {
		v[j] = j / 8
	}
	for j := range 16 {
		v[32+j] = 1 << (j % 8)
	}
	return v
}

// splitNEON loads the 16 code bytes at off(R0) into V2 and splits them
// into low (V0) and high (V1) nibbles.
func splitNEON(f *file, off int) {
	neonLoad(f, off, "V2.B16")
	f.i("VAND  V29.B16, V2.B16, V0.B16    // values 0-15")
	f.i("VUSHR $4, V2.B16, V1.B16         // values 16-31")
}

// block32NEON dots V8-V15 with the block's x and adds d (V30) times
// that to V26.
func block32NEON(f *file) {
	dot32(f, 16, 25)
	f.i("VFMLA V30.S4, V25.S4, V26.S4")
}

// minNEON adds m*xs_b of a Q4_1/Q5_1 block (m the f16 at 2(R0)) to F27.
func minNEON(f *file) {
	f.i("MOVHU 2(R0), R4")
	f.i("FMOVS R4, F5")
	f.i("FCVTHS F5, F5")
	f.i("FMOVS.P 4(R3), F6")
	f.i("FMULS F6, F5, F5")
	f.i("FADDS F5, F27, F27")
}

// q5Init loads the q5index table into V20-V22 and 16 into V23.
func q5Init(f *file) {
	f.i("MOVD  $q5index<>(SB), R6")
	f.i("VLD1  (R6), [V20.B16, V21.B16, V22.B16]   // index lo, index hi, bit masks")
	f.i("VMOVI $16, V23.B16")
}

// q5HighNEON ORs 16 into the codes in V0 (values 0-15) and V1 (16-31)
// where their bit of qh (at off(R0)) is set.
func q5HighNEON(f *file, off int) {
	f.i("ADD   $%d, R0, R5", off)
	f.i("VLD1R (R5), [V3.S4]                // qh in every word")
	for k := range 2 {
		f.i("VTBL  V%d.B16, [V3.B16], V4.B16   // byte j: qh byte holding bit j", 20+k)
		f.i("VCMTST V22.B16, V4.B16, V4.B16    // all ones where the bit is set")
		f.i("VAND  V23.B16, V4.B16, V4.B16")
		f.i("VORR  V4.B16, V%d.B16, V%d.B16", k, k)
	}
}

func neonQ41(f *file) {
	neonHead(f, "dotQ41NEON", true)
	f.i("VMOVI $15, V29.B16")
	neonLoop(f, "dotQ41NEON")
	neonF16(f, "0(R0)", 31, 30)
	splitNEON(f, 4)
	uxtl32(f, 0, 8)
	uxtl32(f, 1, 12)
	block32NEON(f)
	minNEON(f)
	neonNext(f, "dotQ41NEON", 20)
	sumV26(f, false)
	f.i("FADDS F27, F0, F0")
	neonRet(f)
}

func neonQ50(f *file) {
	neonHead(f, "dotQ50NEON", true)
	f.i("VMOVI $15, V29.B16")
	q5Init(f)
	f.i("VMOVI $16, V24.B16")
	neonLoop(f, "dotQ50NEON")
	neonF16(f, "0(R0)", 31, 30)
	splitNEON(f, 6)
	q5HighNEON(f, 2)
	f.i("VSUB  V24.B16, V0.B16, V0.B16")
	f.i("VSUB  V24.B16, V1.B16, V1.B16")
	sxtl32(f, 0, 3, 8)
	sxtl32(f, 1, 3, 12)
	block32NEON(f)
	neonNext(f, "dotQ50NEON", 22)
	sumV26(f, false)
	neonRet(f)
}

func neonQ51(f *file) {
	neonHead(f, "dotQ51NEON", true)
	f.i("VMOVI $15, V29.B16")
	q5Init(f)
	neonLoop(f, "dotQ51NEON")
	neonF16(f, "0(R0)", 31, 30)
	splitNEON(f, 8)
	q5HighNEON(f, 4)
	uxtl32(f, 0, 8)
	uxtl32(f, 1, 12)
	block32NEON(f)
	minNEON(f)
	neonNext(f, "dotQ51NEON", 24)
	sumV26(f, false)
	f.i("FADDS F27, F0, F0")
	neonRet(f)
}

func neonIQ4NL(f *file) {
	neonHead(f, "dotIQ4NLNEON", true)
	f.i("VMOVI $15, V29.B16")
	f.i("MOVD  $iq4nlTable<>(SB), R6")
	f.i("VLD1  (R6), [V20.B16]")
	neonLoop(f, "dotIQ4NLNEON")
	neonF16(f, "0(R0)", 31, 30)
	splitNEON(f, 2)
	f.i("VTBL  V0.B16, [V20.B16], V0.B16")
	f.i("VTBL  V1.B16, [V20.B16], V1.B16")
	sxtl32(f, 0, 3, 8)
	sxtl32(f, 1, 3, 12)
	block32NEON(f)
	neonNext(f, "dotIQ4NLNEON", 18)
	sumV26(f, false)
	neonRet(f)
}

// sub16NEON dots the 16 codes in V2 with the 16 x at xoff(R1) and adds
// the scale in lane j of V20-V23 times that to V26.
func sub16NEON(f *file, xoff, j int) {
	uxtl32(f, 2, 8)
	f.i("ADD   $%d, R1, R5", xoff)
	f.i("VLD1  (R5), [%s]", xQuad(12))
	f.fmul(25, 8, 12)
	for k := 1; k < 4; k++ {
		f.i("VFMLA V%d.S4, V%d.S4, V25.S4", 12+k, 8+k)
	}
	scaleAccNEON(f, 20, j, 31, 25)
}

// kMinsNEON adds Σ_j V<m>..V<m+3> times the 16 xs of the super-block
// (R3 advanced) to V27.
func kMinsNEON(f *file, m int) {
	f.i("VLD1.P 64(R3), [%s]", xQuad(12))
	for k := range 4 {
		f.i("VFMLA V%d.S4, V%d.S4, V27.S4", 12+k, m+k)
	}
}

func neonQ2K(f *file) {
	neonHead(f, "dotQ2KNEON", true)
	f.i("VMOVI $15, V29.B16")
	f.i("VMOVI $3, V28.B16")
	neonLoop(f, "dotQ2KNEON")
	f.i("VLD1  (R0), [V2.B16]")
	f.i("VAND  V29.B16, V2.B16, V0.B16")
	f.i("VUSHR $4, V2.B16, V1.B16")
	uxtl32(f, 0, 20)
	uxtl32(f, 1, 8)
	neonF16(f, "80(R0)", 31, 30)
	neonF16(f, "82(R0)", 5, 6)
	for r := 20; r < 24; r++ {
		f.fmul(r, r, 30)
	}
	for r := 8; r < 12; r++ {
		f.fmul(r, r, 6)
	}
	kMinsNEON(f, 8)
	for n := range 2 {
		for p := range 2 {
			neonLoad(f, 16+32*n+16*p, "V0.B16")
			for k := range 4 {
				if k == 0 {
					f.i("VAND  V28.B16, V0.B16, V2.B16")
				} else {
					f.i("VUSHR $%d, V0.B16, V2.B16", 2*k)
					f.i("VAND  V28.B16, V2.B16, V2.B16")
				}
				sub16NEON(f, 512*n+64*p+128*k, 8*n+2*k+p)
			}
		}
	}
	f.i("ADD  $1024, R1")
	neonNext(f, "dotQ2KNEON", 84)
	kDoneNEON(f, "")
}

func neonQ3K(f *file) {
	neonHead(f, "dotQ3KNEON", true)
	f.i("VMOVI $15, V29.B16")
	f.i("VMOVI $3, V28.B16")
	f.i("VMOVI $1, V24.B16")
	f.i("VMOVI $32, V29.B16          // (the 0x0f mask is not needed here)")
	neonLoop(f, "dotQ3KNEON")
	f.raw(`
	MOVWU 96(R0), R6
	MOVWU 100(R0), R7
	MOVWU 104(R0), R8         // tmp
	LSRW  $4, R6, R9
	ANDW  $0x0f0f0f0f, R9
	LSRW  $4, R8, R10
	ANDW  $0x03030303, R10
	ORRW  R10<<4, R9          // aux2
	LSRW  $4, R7, R11
	ANDW  $0x0f0f0f0f, R11
	LSRW  $6, R8, R10
	ANDW  $0x03030303, R10
	ORRW  R10<<4, R11         // aux3
	ANDW  $0x0f0f0f0f, R6
	ANDW  $0x03030303, R8, R10
	ORRW  R10<<4, R6          // aux0
	ANDW  $0x0f0f0f0f, R7
	LSRW  $2, R8, R10
	ANDW  $0x03030303, R10
	ORRW  R10<<4, R7          // aux1
	ORR   R7<<32, R6, R6
	ORR   R11<<32, R9, R9
	FMOVD R6, F2
	VMOV  R9, V2.D[1]
	VSUB  V29.B16, V2.B16, V2.B16  // 6-bit scales minus 32
`)
	sxtl32(f, 2, 3, 20)
	neonF16(f, "108(R0)", 31, 30)
	for r := 20; r < 24; r++ {
		f.fmul(r, r, 30)
	}
	kMinsNEON(f, 20)
	for n := range 2 {
		for p := range 2 {
			neonLoad(f, 32+32*n+16*p, "V0.B16")
			neonLoad(f, 16*p, "V1.B16")
			for k := range 4 {
				if k == 0 {
					f.i("VAND  V28.B16, V0.B16, V2.B16")
				} else {
					f.i("VUSHR $%d, V0.B16, V2.B16", 2*k)
					f.i("VAND  V28.B16, V2.B16, V2.B16")
				}
				if s := 4*n + k; s == 0 {
					f.i("VAND  V24.B16, V1.B16, V3.B16")
				} else {
					f.i("VUSHR $%d, V1.B16, V3.B16", s)
					f.i("VAND  V24.B16, V3.B16, V3.B16")
				}
				f.i("VSHL  $2, V3.B16, V3.B16")
				f.i("VORR  V3.B16, V2.B16, V2.B16")
				sub16NEON(f, 512*n+64*p+128*k, 8*n+2*k+p)
			}
		}
	}
	f.i("ADD  $1024, R1")
	neonNext(f, "dotQ3KNEON", 110)
	kDoneNEON(f, "$4.0")
}
