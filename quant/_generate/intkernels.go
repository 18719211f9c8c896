package main

// intKernels writes int_kernels_amd64.s: the integer row kernels (a
// Q4_0, Q8_0 or Q6_K weight row times an input row quantized to 8-bit
// blocks), AVX-512 VNNI for one, two and four rows at a time and AVX2
// for one. The #define blocks stay as text (each is used once per
// kernel or differs in its registers); the generator writes the
// constant tables and the parts the kernels repeat: their set-up, group
// loops, reductions and stores.
func intKernels() string {
	f := &file{}
	f.raw(`
//go:build amd64 && !noasm

// Integer row kernels (see intKernel in int_kernels.go): a Q4_0 or Q8_0
// weight row times an input row quantized to 8-bit blocks and packed by
// packQ40 / packQ80 (act_q8.go, which documents the layouts). Each
// block's integer dot is exact; it is converted once and scaled by
// d_w*d_x, 4 (Q4_0) or 8 (Q8_0) lanes per block.

#include "textflag.h"

// Row loop: R8 the current row, R11 the stride, R10 rows left, DX the
// packed input, R12 the blocks per row, R9 the next output.
`)
	macro(f, "ROWSPROLOG", argLoads("rows+0", "stride+8", "n+16", "act+24", "nb+32", "y+40")...)
	f.line("// The *4 kernels' arguments (see below).")
	macro(f, "ROWS4PROLOG", append(argLoads("rows+0", "stride+8", "n+16", "act+24", "actStride+32", "nb+40", "y+48", "yStride+56"),
		"SHLQ $2, R15", "LEAQ (R13)(R13*2), R14", "LEAQ (R15)(R15*2), BX")...)
	macro(f, "ROWSTART", "MOVQ R8, SI", "MOVQ DX, DI", "MOVQ R12, CX")
	macro(f, "ROWEND(again)", "MOVSS X0, (R9)", "ADDQ  $4, R9", "ADDQ  R11, R8", "DECQ  R10", "JNZ   again")
	intTables(f)
	q40VNNIMacros(f)
	f.line("// The kernels below take n weight rows of nb blocks, stride bytes apart,")
	f.line("// and write the n dots with one packed input row to y.")
	f.line("")
	dotQ40VNNI(f)
	dotQ40VNNIQuad(f)
	q80VNNIMacros(f)
	dotQ80VNNI(f)
	rows4Macros(f)
	dotQ40VNNI4(f)
	dotQ40VNNI24(f)
	dotQ80VNNI4(f)
	dotQ80VNNI24(f)
	dotQ40AVX2Int(f)
	dotQ80AVX2Int(f)
	q6Tables(f)
	dotQ6KVNNI(f)
	prefetchL2(f, false)
	return f.text()
}

// argLoads is the MOVQ of each argument (name+offset) into the row
// loop's registers, in the order ROWSPROLOG / ROWS4PROLOG take them.
func argLoads(args ...string) []string {
	regs := []string{"R8", "R11", "R10", "DX"}
	if len(args) == 6 {
		regs = append(regs, "R12", "R9")
	} else {
		regs = append(regs, "R13", "R12", "R9", "R15")
	}
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = sprintf("MOVQ %s(FP), %s", a, regs[i])
	}
	return out
}

// macro writes a #define of the given lines (joined by "; \") and the
// blank line after it.
func macro(f *file, head string, lines ...string) {
	f.line("#define %s \\", head)
	for i, l := range lines {
		if i < len(lines)-1 {
			f.i("%s; \\", l)
			continue
		}
		f.i("%s", l)
	}
	f.line("")
}

// data writes a read-only table of 8-byte words and the blank line
// after it.
func data(f *file, name string, words []uint64) {
	for i, w := range words {
		f.line("DATA %s<>+%d(SB)/8, $0x%016x", name, 8*i, w)
	}
	f.line("GLOBL %s<>(SB), RODATA|NOPTR, $%d", name, 8*len(words))
	f.line("")
}

// bytesLE packs bytes into little-endian words.
func bytesLE(b []byte) []uint64 {
	w := make([]uint64, len(b)/8)
	for i, v := range b {
		w[i/8] |= uint64(v) << (8 * (i % 8))
	}
	return w
}

func intTables(f *file) {
	f.comment(`
VPERMB indices: the f16 scales of blocks 0-3 of a 72-byte Q4_0 group,
each repeated 4 times (block L in halves 4L..4L+3).`)
	scales := make([]byte, 64)
	for l := range 4 {
		for k := range 4 {
			scales[8*l+2*k] = byte(18 * l)
			scales[8*l+2*k+1] = byte(18*l + 1)
		}
	}
	data(f, "q40scales", bytesLE(scales))
	f.comment(`
VPERMT2B indices over the group's bytes 0-63 (0-63) and 8-71 (64-127):
the 16 code bytes of block L at 16L..16L+15.`)
	codes := make([]byte, 64)
	for l := range 4 {
		for k := range 16 {
			p := 18*l + 2 + k
			if p >= 64 {
				p += 64 - 8
			}
			codes[16*l+k] = byte(p)
		}
	}
	data(f, "q40codes", bytesLE(codes))
	f.comment("VPSHUFB indices: two f16 scales in the low dword, each repeated 4 times.")
	data(f, "scale2x4", bytesLE([]byte{0, 1, 0, 1, 0, 1, 0, 1, 2, 3, 2, 3, 2, 3, 2, 3}))
}

// q40Load is Q40VNNILOAD's body: the group at base into codes c and
// scales s, prefetching ahead.
func q40Load(base, c, s string) []string {
	return []string{
		sprintf("PREFETCHT0 1024%s", base),
		sprintf("PREFETCHT1 4096%s", base),
		sprintf("VMOVDQU64  %s, %s", base, c),
		sprintf("VPERMB     %s, Z10, %s", c, s),
		sprintf("VPERMT2B   8%s, Z11, %s", base, c),
	}
}

func q40VNNIMacros(f *file) {
	f.comment(`
One Q4_0 group of 4 blocks in Z0 (codes of block L at 16L) and Z1
(scales, low 32 bytes) against the packed group at DI, into acc.`)
	macro(f, "Q40VNNI(acc)",
		"VPSRLW      $4, Z0, Z2",
		"VPANDD      Z12, Z0, Z0",
		"VPANDD      Z12, Z2, Z2",
		"VMOVDQU32   128(DI), Z3",
		"VPDPBUSD    (DI), Z0, Z3",
		"VPDPBUSD    64(DI), Z2, Z3",
		"VCVTDQ2PS   Z3, Z3",
		"VCVTPH2PS   Y1, Z1",
		"VMULPS      192(DI), Z1, Z1",
		"VFMADD231PS Z3, Z1, acc")
	f.comment(`
Loads the Q4_0 group at base into Z0 and Z1, prefetching the stream
ahead into L1 and L2 (hardware prefetch stops at 4 KiB pages).`)
	macro(f, "Q40VNNILOAD(base)", q40Load("(base)", "Z0", "Z1")...)
	f.comment("Q40VNNILOAD into Z20 and Z21 (the second row of a pair).")
	macro(f, "Q40VNNILOAD2(base)", q40Load("(base)", "Z20", "Z21")...)
	f.raw(`
// Q40VNNI for both rows of a pair (Z0/Z1 into Z6, Z20/Z21 into Z7),
// each input vector loaded once for the two.
#define Q40VNNIPAIR \
	VMOVDQU32   128(DI), Z3; \
	VMOVDQA32   Z3, Z23; \
	VMOVDQU32   (DI), Z24; \
	VMOVDQU32   64(DI), Z25; \
	VMOVUPS     192(DI), Z26; \
	VPSRLW      $4, Z0, Z2; \
	VPSRLW      $4, Z20, Z22; \
	VPANDD      Z12, Z0, Z0; \
	VPANDD      Z12, Z2, Z2; \
	VPANDD      Z12, Z20, Z20; \
	VPANDD      Z12, Z22, Z22; \
	VPDPBUSD    Z24, Z0, Z3; \
	VPDPBUSD    Z24, Z20, Z23; \
	VPDPBUSD    Z25, Z2, Z3; \
	VPDPBUSD    Z25, Z22, Z23; \
	VCVTDQ2PS   Z3, Z3; \
	VCVTDQ2PS   Z23, Z23; \
	VCVTPH2PS   Y1, Z1; \
	VCVTPH2PS   Y21, Z21; \
	VMULPS      Z26, Z1, Z1; \
	VMULPS      Z26, Z21, Z21; \
	VFMADD231PS Z3, Z1, Z6; \
	VFMADD231PS Z23, Z21, Z7

// The last 1-3 blocks at base: a masked load of their 18*(nb%4) bytes
// (K1); the rest reads as zeros, zero codes and scales against the zero
// padding of act.
`)
	macro(f, "Q40VNNITAIL(base)", q40Tail("(base)", "Z0", "Z1", "Z13")...)
	f.comment("Sums the 16 lanes of acc (accy its low half) into X0.")
	macro(f, "REDUCE512(acc, accy)",
		"VEXTRACTF64X4 $1, acc, Y1",
		"VADDPS        Y1, accy, Y0",
		"VEXTRACTF128  $1, Y0, X1",
		"VADDPS        X1, X0, X0",
		"VHADDPS       X0, X0, X0",
		"VHADDPS       X0, X0, X0")
	f.raw(`
// The VNNI kernels run two rows at a time, i and i+n/2, two independent
// streams through memory (one stream reached ~0.6 of a plain read); an
// odd last row runs paired with itself. SI, R13 the two rows, R8 and R14
// their starts, R9 and R15 their outputs, R10 the pairs left, BX set
// while the odd row is still to do.
#define PAIRSETUP \
	MOVQ  R10, BX; \
	ANDQ  $1, BX; \
	SHRQ  $1, R10; \
	MOVQ  R11, R14; \
	IMULQ R10, R14; \
	ADDQ  R8, R14; \
	LEAQ  (R9)(R10*4), R15

#define PAIRSTART \
	MOVQ R8, SI; \
	MOVQ R14, R13; \
	MOVQ DX, DI; \
	MOVQ R12, CX; \
	VPXORD Z6, Z6, Z6; \
	VPXORD Z7, Z7, Z7

#define PAIREND(again, odd) \
	REDUCE512(Z6, Y6); \
	MOVSS X0, (R9); \
	REDUCE512(Z7, Y7); \
	MOVSS X0, (R15); \
	ADDQ  $4, R9; \
	ADDQ  $4, R15; \
	ADDQ  R11, R8; \
	ADDQ  R11, R14; \
	DECQ  R10; \
	JNZ   again; \
odd: \
	TESTQ BX, BX; \
	JZ    6(PC); \
	MOVQ  R14, R8; \
	MOVQ  R15, R9; \
	MOVQ  $1, R10; \
	XORQ  BX, BX; \
	JMP   again

`)
}

// q40Tail is a masked load of the last 1-3 blocks at base into codes c
// and scales s, zero standing for the bytes past the group.
func q40Tail(base, c, s, zero string) []string {
	return []string{
		sprintf("VMOVDQU8.Z %s, K1, %s", base, c),
		sprintf("VPERMB     %s, Z10, %s", c, s),
		sprintf("VPERMT2B   %s, Z11, %s", zero, c),
	}
}

// textHead writes a kernel's signature comment (and doc lines) and
// TEXT line; rows4 kernels take the actStride/yStride arguments.
func textHead(f *file, name string, rows4 bool, doc string) {
	if rows4 {
		f.line("// func %s(rows *byte, stride, n int, act *byte, actStride, nb int, y *float32, yStride int)", name)
	} else {
		f.line("// func %s(rows *byte, stride, n int, act *byte, nb int, y *float32)", name)
	}
	if doc != "" {
		f.line("//")
		f.comment(doc)
	}
	frame := 48
	if rows4 {
		frame = 64
	}
	f.line("TEXT ·%s(SB), NOSPLIT, $0-%d", name, frame)
	if rows4 {
		f.i("ROWS4PROLOG")
	} else {
		f.i("ROWSPROLOG")
	}
}

// q40Setup loads the Q4_0 index tables and nibble mask; with mask, also
// K1 for the masked load of the last nb%4 blocks (Z13 the zero bytes
// past them).
func q40Setup(f *file, mask bool) {
	f.i("VMOVDQU64 q40scales<>(SB), Z10")
	f.i("VMOVDQU64 q40codes<>(SB), Z11")
	f.i("MOVL      $0x0f0f0f0f, AX")
	f.i("VPBROADCASTD AX, Z12")
	if !mask {
		return
	}
	f.i("VPXORD    Z13, Z13, Z13")
	f.i("MOVQ   R12, CX")
	f.i("ANDQ   $3, CX")
	blockMask(f)
}

// blockMask sets K1 to the low 18*CX bits.
func blockMask(f *file) {
	f.i("IMUL3Q $18, CX, CX")
	f.i("MOVQ   $1, AX")
	f.i("SHLQ   CX, AX")
	f.i("DECQ   AX")
	f.i("KMOVQ  AX, K1")
}

// q80Setup loads the sign-flip mask of the Q8_0 VNNI kernels.
func q80Setup(f *file) {
	f.i("MOVL   $0x80808080, AX")
	f.i("VPBROADCASTD AX, Z12")
}

// groupLoop writes the loop over whole groups of n blocks: body, then
// the pointer steps (ADDQ operands), until fewer than n are left.
func groupLoop(f *file, loop, tail string, n int, body func(), steps ...string) {
	f.label(loop)
	f.i("CMPQ CX, $%d", n)
	f.i("JLT  %s", tail)
	body()
	for _, s := range steps {
		f.i("ADDQ %s", s)
	}
	f.i("SUBQ $%d, CX", n)
	f.i("JMP  %s", loop)
}

// tailHead writes the tail label and the jump past it when no block is
// left.
func tailHead(f *file, tail, done string) {
	f.label(tail)
	f.i("TESTQ CX, CX")
	f.i("JZ    %s", done)
}

// kernelEnd writes the end label (if any) and the return.
func kernelEnd(f *file, end string) {
	if end != "" {
		f.label(end)
	}
	f.i("VZEROUPPER")
	f.i("RET")
	f.line("")
}

// zero writes VPXORD clears of the Z registers.
func zero(f *file, regs ...int) {
	for _, r := range regs {
		f.i("VPXORD Z%d, Z%d, Z%d", r, r, r)
	}
}

// rows4Dst is where input row r's dot goes, off bytes past (R9).
func rows4Dst(off string, r int) string {
	return off + []string{"(R9)", "(R9)(R15*1)", "(R9)(R15*2)", "(R9)(BX*1)"}[r]
}

// reduceStore sums acc into X0 and stores it at dst.
func reduceStore(f *file, acc int, dst string, sep string) {
	f.i("REDUCE512(Z%d, Y%d)%s", acc, acc, sep)
	f.i("MOVSS X0, %s%s", dst, sep)
}

// rows4Stores reduces the four accumulators of one weight row (off the
// output offset) into its four outputs.
func rows4Stores(f *file, accs []int, off string) {
	for r, a := range accs {
		reduceStore(f, a, rows4Dst(off, r), "")
	}
}

func dotQ40VNNI(f *file) {
	textHead(f, "dotQ40VNNI", false, "")
	q40Setup(f, true)
	f.i("PAIRSETUP")
	f.i("TESTQ  R10, R10")
	f.i("JZ     q40vodd")
	f.label("q40vrow")
	f.i("PAIRSTART")
	groupLoop(f, "q40v4", "q40vtail", 4, func() {
		f.i("Q40VNNILOAD(SI)")
		f.i("Q40VNNILOAD2(R13)")
		f.i("Q40VNNIPAIR")
	}, "$72, SI", "$72, R13", "$256, DI")
	tailHead(f, "q40vtail", "q40vdone")
	f.i("Q40VNNITAIL(SI)")
	f.i("Q40VNNI(Z6)")
	f.i("Q40VNNITAIL(R13)")
	f.i("Q40VNNI(Z7)")
	f.label("q40vdone")
	f.i("PAIREND(q40vrow, q40vodd)")
	kernelEnd(f, "")
}

// quadRows are the four Q4_0 rows of dotQ40VNNIQuad: index off SI,
// codes, high nibbles, scales (Y and Z), temporary and accumulator.
var quadRows = []struct {
	idx, c, h, sy, sz, t, acc string
}{
	{"AX*1", "Z0", "Z2", "Y1", "Z1", "Z4", "Z6"},
	{"R13*1", "Z20", "Z22", "Y21", "Z21", "Z23", "Z7"},
	{"R13*2", "Z27", "Z28", "Y5", "Z5", "Z13", "Z8"},
	{"R14*1", "Z29", "Z30", "Y31", "Z31", "Z14", "Z9"},
}

// quadCompute loads the packed group once and runs the four rows on it.
func quadCompute(f *file) {
	f.i("VMOVDQU32   128(DI), Z3")
	f.i("VMOVDQU32   (DI), Z24")
	f.i("VMOVDQU32   64(DI), Z25")
	f.i("VMOVUPS     192(DI), Z26")
	for _, q := range quadRows {
		f.i("Q40QUADROW(%s, %s, %s, %s, %s, %s)", q.c, q.h, q.sy, q.sz, q.t, q.acc)
	}
}

func dotQ40VNNIQuad(f *file) {
	f.comment(`
One group of four Q4_0 rows (i, i+h, i+2h, i+3h: SI, SI+R13,
SI+2*R13, SI+R14): codes into Z0/Z2, Z20/Z22, Z27/Z28, Z29/Z30 (low
and high nibbles) and scales into Z1, Z21, Z5, Z31; each input vector
loaded once for the four rows.`)
	macro(f, "Q40QUADLOAD(idx, c, s)", q40Load("(SI)(idx)", "c", "s")...)
	macro(f, "Q40QUADROW(c, h, sy, sz, t, acc)",
		"VPSRLW      $4, c, h",
		"VPANDD      Z12, c, c",
		"VPANDD      Z12, h, h",
		"VMOVDQA32   Z3, t",
		"VPDPBUSD    Z24, c, t",
		"VPDPBUSD    Z25, h, t",
		"VCVTDQ2PS   t, t",
		"VCVTPH2PS   sy, sz",
		"VMULPS      Z26, sz, sz",
		"VFMADD231PS t, sz, acc")
	textHead(f, "dotQ40VNNIQuad", false, `
dotQ40VNNI for n a multiple of 4 (at least 4): rows i, i+n/4, i+n/2 and
i+3n/4 per pass, four streams, the input loaded once for the four.`)
	q40Setup(f, false)
	f.i("SHRQ      $2, R10")
	f.i("JZ        q40qend")
	f.i("// R13 = h*stride, R14 = 3h*stride, R15 = 4h (bytes of y), BX = 12h.")
	f.i("MOVQ  R11, R13")
	f.i("IMULQ R10, R13")
	f.i("LEAQ  (R13)(R13*2), R14")
	f.i("LEAQ  (R10*4), R15")
	f.i("LEAQ  (R15)(R15*2), BX")
	f.label("q40qrow")
	f.i("XORQ   AX, AX")
	f.i("MOVQ   R8, SI")
	f.i("MOVQ   DX, DI")
	f.i("MOVQ   R12, CX")
	zero(f, 6, 7, 8, 9)
	groupLoop(f, "q40q4", "q40qtail", 4, func() {
		for _, q := range quadRows {
			f.i("Q40QUADLOAD(%s, %s, %s)", q.idx, q.c, q.sz)
		}
		quadCompute(f)
	}, "$72, SI", "$256, DI")
	f.label("q40qtail")
	f.i("// 1-3 blocks: masked loads (K1 set from nb%%4 below the loop start).")
	f.i("TESTQ CX, CX")
	f.i("JZ    q40qdone")
	blockMask(f)
	zero(f, 15)
	for _, q := range quadRows {
		base := "(SI)"
		if q.idx != "AX*1" {
			base = "(SI)(" + q.idx + ")"
		}
		for _, l := range q40Tail(base, q.c, q.sz, "Z15") {
			f.i("%s", l)
		}
	}
	quadCompute(f)
	f.label("q40qdone")
	rows4Stores(f, []int{6, 7, 8, 9}, "")
	f.i("ADDQ  $4, R9")
	f.i("ADDQ  R11, R8")
	f.i("DECQ  R10")
	f.i("JNZ   q40qrow")
	kernelEnd(f, "q40qend")
}

// q80PairLoads is the load of a pair of Q8_0 blocks at base: codes into
// Z<c> (Y<c> the first block), scales into Y<s1> and Y<s2>.
func q80PairLoads(base string, c, s1, s2 int) (codes, scales []string) {
	codes = []string{
		sprintf("VMOVDQU      2%s, Y%d", base, c),
		sprintf("VINSERTI64X4 $1, 36%s, Z%d, Z%d", base, c, c),
	}
	scales = []string{
		sprintf("VPBROADCASTW %s, Y%d", base, s1),
		sprintf("VPBROADCASTW 34%s, Y%d", base, s2),
	}
	return codes, scales
}

// prefetch is the stream prefetch at base.
func prefetch(base string) []string {
	return []string{sprintf("PREFETCHT0   1024%s", base), sprintf("PREFETCHT1   4096%s", base)}
}

// q80One is the load of a lone Q8_0 block at base (codes Y<c>, scale
// Y<s1> copied to Y<s2>).
func q80One(base string, c, s1, s2 int) []string {
	return []string{
		sprintf("VMOVDQU      2%s, Y%d", base, c),
		sprintf("VPBROADCASTW %s, Y%d", base, s1),
		sprintf("VMOVDQA      Y%d, Y%d", s1, s2),
	}
}

func q80VNNIMacros(f *file) {
	f.comment(`
One pair of Q8_0 blocks at base against the packed pair at DI, into
acc: the codes with their sign bits flipped are unsigned (q+128), and
the packed initial sums hold -128*Σq_x.`)
	c, s := q80PairLoads("(base)", 0, 1, 2)
	lines := append(prefetch("(base)"), c...)
	lines = append(lines, s...)
	macro(f, "Q80VNNI(base, acc)", append(lines, "Q80VNNIREST(acc)")...)
	f.comment(`
Q80VNNI for both rows of a pair (SI into Z6, R13 into Z7), each input
vector loaded once for the two.`)
	c0, s0 := q80PairLoads("(SI)", 0, 1, 2)
	c1, s1 := q80PairLoads("(R13)", 8, 9, 10)
	lines = append(prefetch("(SI)"), prefetch("(R13)")...)
	lines = append(append(append(append(lines, c0...), c1...), s0...), s1...)
	macro(f, "Q80VNNIPAIR", append(lines,
		"VMOVDQU32    64(DI), Z3",
		"VMOVDQA32    Z3, Z23",
		"VMOVDQU32    (DI), Z24",
		"VMOVUPS      128(DI), Z26",
		"VPXORD       Z12, Z0, Z0",
		"VPXORD       Z12, Z8, Z8",
		"VPDPBUSD     Z24, Z0, Z3",
		"VPDPBUSD     Z24, Z8, Z23",
		"VCVTDQ2PS    Z3, Z3",
		"VCVTDQ2PS    Z23, Z23",
		"VPBLENDD     $0xf0, Y2, Y1, Y1",
		"VPBLENDD     $0xf0, Y10, Y9, Y9",
		"VCVTPH2PS    Y1, Z1",
		"VCVTPH2PS    Y9, Z21",
		"VMULPS       Z26, Z1, Z1",
		"VMULPS       Z26, Z21, Z21",
		"VFMADD231PS  Z3, Z1, Z6",
		"VFMADD231PS  Z23, Z21, Z7")...)
	f.comment(`
One Q8_0 block at base (the VEX load zeroes the upper half, whose
flipped codes meet zero padding in act).`)
	macro(f, "Q80VNNIONE(base, acc)", append(q80One("(base)", 0, 1, 2), "Q80VNNIREST(acc)")...)
	macro(f, "Q80VNNIREST(acc)",
		"VPXORD       Z12, Z0, Z0",
		"VMOVDQU32    64(DI), Z3",
		"VPDPBUSD     (DI), Z0, Z3",
		"VCVTDQ2PS    Z3, Z3",
		"VPBLENDD     $0xf0, Y2, Y1, Y1",
		"VCVTPH2PS    Y1, Z1",
		"VMULPS       128(DI), Z1, Z1",
		"VFMADD231PS  Z3, Z1, acc")
}

func dotQ80VNNI(f *file) {
	textHead(f, "dotQ80VNNI", false, "")
	q80Setup(f)
	f.i("PAIRSETUP")
	f.i("TESTQ  R10, R10")
	f.i("JZ     q80vodd")
	f.label("q80vrow")
	f.i("PAIRSTART")
	groupLoop(f, "q80v2", "q80vtail", 2, func() {
		f.i("Q80VNNIPAIR")
	}, "$68, SI", "$68, R13", "$192, DI")
	tailHead(f, "q80vtail", "q80vdone")
	f.i("Q80VNNIONE(SI, Z6)")
	f.i("Q80VNNIONE(R13, Z7)")
	f.label("q80vdone")
	f.i("PAIREND(q80vrow, q80vodd)")
	kernelEnd(f, "")
}

func rows4Macros(f *file) {
	f.comment(`
The *4 kernels multiply each of n weight rows with four packed input
rows actStride bytes apart and write y[r*yStride+i] (r < 4): the
weights are decoded once for the four (prefill). One weight row at a
time; the four inputs stay in L1/L2 across rows.`)
	lines := []string{"XORQ AX, AX", "MOVQ R8, SI", "MOVQ DX, DI", "MOVQ R12, CX"}
	for r := 6; r <= 9; r++ {
		lines = append(lines, sprintf("VPXORD Z%d, Z%d, Z%d", r, r, r))
	}
	macro(f, "ROWS4START", lines...)
	lines = make([]string, 0, 12)
	for r := range 4 {
		lines = append(lines, sprintf("REDUCE512(Z%d, Y%d)", 6+r, 6+r), "MOVSS X0, "+rows4Dst("", r))
	}
	macro(f, "ROWS4END(again)", append(lines, "ADDQ  $4, R9", "ADDQ  R11, R8", "DECQ  R10", "JNZ   again")...)
	f.line("// (AX is zero in the loop: the index of the first input row.)")
	f.line("")
}

// rows4Idx is input row r's offset from DI in the *4 kernels.
var rows4Idx = []string{"AX*1", "R13*1", "R13*2", "R14*1"}

func dotQ40VNNI4(f *file) {
	f.comment(`
One input row of a Q4_0 group: codes at DI+idx, into acc (Z0/Z2 the
low and high nibbles, Z1 the group's scales as floats).`)
	macro(f, "Q40VNNIIN(idx, t, u, acc)",
		"VMOVDQU32   128(DI)(idx), t",
		"VPDPBUSD    (DI)(idx), Z0, t",
		"VPDPBUSD    64(DI)(idx), Z2, t",
		"VCVTDQ2PS   t, t",
		"VMULPS      192(DI)(idx), Z1, u",
		"VFMADD231PS t, u, acc")
	macro(f, "Q40VNNI4", append([]string{
		"VPSRLW    $4, Z0, Z2",
		"VPANDD    Z12, Z0, Z0",
		"VPANDD    Z12, Z2, Z2",
		"VCVTPH2PS Y1, Z1",
	}, rows4In("Q40VNNIIN")...)...)
	textHead(f, "dotQ40VNNI4", true, "")
	q40Setup(f, true)
	f.i("TESTQ  R10, R10")
	f.i("JZ     q40v4end")
	f.label("q40v4row")
	f.i("ROWS4START")
	groupLoop(f, "q40v4g", "q40v4tail", 4, func() {
		f.i("Q40VNNILOAD(SI)")
		f.i("Q40VNNI4")
	}, "$72, SI", "$256, DI")
	tailHead(f, "q40v4tail", "q40v4done")
	f.i("Q40VNNITAIL(SI)")
	f.i("Q40VNNI4")
	f.label("q40v4done")
	f.i("ROWS4END(q40v4row)")
	kernelEnd(f, "q40v4end")
}

// rows4In is the call of in (idx, t, u, acc) for each input row; the
// temporaries are the registers the kernels leave free.
func rows4In(in string) []string {
	tu := [][2]int{{3, 4}, {5, 14}, {15, 16}, {17, 18}}
	out := make([]string, 4)
	for r := range 4 {
		out[r] = sprintf("%s(%s, Z%d, Z%d, Z%d)", in, rows4Idx[r], tu[r][0], tu[r][1], 6+r)
	}
	return out
}

// rows24In is the call of in (idx, accA, accB) for each input row.
func rows24In(in string, accA, accB []int) []string {
	out := make([]string, 4)
	for r := range 4 {
		out[r] = sprintf("%s(%s, Z%d, Z%d)", in, rows4Idx[r], accA[r], accB[r])
	}
	return out
}

// rows24End reduces the eight accumulators of a weight-row pair
// (accA the first row's, accB the second's) and steps to the next pair.
func rows24End(f *file, accA, accB []int, again string) {
	rows4Stores(f, accA, "")
	rows4Stores(f, accB, "4")
	f.i("ADDQ  $8, R9")
	f.i("LEAQ  (R8)(R11*2), R8")
	f.i("DECQ  R10")
	f.i("JNZ   %s", again)
}

func dotQ40VNNI24(f *file) {
	f.comment(`
One input row for two Q4_0 rows (Z0/Z2/Z1 into accA, Z20/Z22/Z21
into accB): the input's four vectors are loaded once for both.`)
	macro(f, "Q40VNNI24IN(idx, accA, accB)",
		"VMOVDQU32   128(DI)(idx), Z3",
		"VMOVDQA32   Z3, Z23",
		"VMOVDQU32   (DI)(idx), Z24",
		"VMOVDQU32   64(DI)(idx), Z25",
		"VMOVUPS     192(DI)(idx), Z26",
		"VPDPBUSD    Z24, Z0, Z3",
		"VPDPBUSD    Z24, Z20, Z23",
		"VPDPBUSD    Z25, Z2, Z3",
		"VPDPBUSD    Z25, Z22, Z23",
		"VCVTDQ2PS   Z3, Z3",
		"VCVTDQ2PS   Z23, Z23",
		"VMULPS      Z26, Z1, Z4",
		"VMULPS      Z26, Z21, Z5",
		"VFMADD231PS Z3, Z4, accA",
		"VFMADD231PS Z23, Z5, accB")
	accA, accB := []int{6, 7, 8, 9}, []int{14, 15, 16, 17}
	macro(f, "Q40VNNI24", append([]string{
		"VPSRLW    $4, Z0, Z2",
		"VPSRLW    $4, Z20, Z22",
		"VPANDD    Z12, Z0, Z0",
		"VPANDD    Z12, Z2, Z2",
		"VPANDD    Z12, Z20, Z20",
		"VPANDD    Z12, Z22, Z22",
		"VCVTPH2PS Y1, Z1",
		"VCVTPH2PS Y21, Z21",
	}, rows24In("Q40VNNI24IN", accA, accB)...)...)
	textHead(f, "dotQ40VNNI24", true, `
dotQ40VNNI4 for an even n, two adjacent weight rows at a time (each
input vector loaded once for both: the load ports bound these kernels).`)
	q40Setup(f, true)
	f.i("SHRQ   $1, R10")
	f.i("JZ     q40v24end")
	f.label("q40v24row")
	f.i("ROWS4START")
	zero(f, accB...)
	groupLoop(f, "q40v24g", "q40v24tail", 4, func() {
		f.i("Q40VNNILOAD(SI)")
		for _, l := range q40Load("(SI)(R11*1)", "Z20", "Z21") {
			f.i("%s", l)
		}
		f.i("Q40VNNI24")
	}, "$72, SI", "$256, DI")
	tailHead(f, "q40v24tail", "q40v24done")
	f.i("Q40VNNITAIL(SI)")
	for _, l := range q40Tail("(SI)(R11*1)", "Z20", "Z21", "Z13") {
		f.i("%s", l)
	}
	f.i("Q40VNNI24")
	f.label("q40v24done")
	rows24End(f, accA, accB, "q40v24row")
	kernelEnd(f, "q40v24end")
}

func dotQ80VNNI4(f *file) {
	f.comment(`
One input row of a Q8_0 pair: codes at DI+idx, into acc (Z0 the
flipped codes, Z1 the pair's scales as floats).`)
	macro(f, "Q80VNNIIN(idx, t, u, acc)",
		"VMOVDQU32   64(DI)(idx), t",
		"VPDPBUSD    (DI)(idx), Z0, t",
		"VCVTDQ2PS   t, t",
		"VMULPS      128(DI)(idx), Z1, u",
		"VFMADD231PS t, u, acc")
	macro(f, "Q80VNNI4", append([]string{
		"VPXORD       Z12, Z0, Z0",
		"VPBLENDD     $0xf0, Y2, Y1, Y1",
		"VCVTPH2PS    Y1, Z1",
	}, rows4In("Q80VNNIIN")...)...)
	textHead(f, "dotQ80VNNI4", true, "")
	q80Setup(f)
	f.i("TESTQ  R10, R10")
	f.i("JZ     q80v4end")
	f.label("q80v4row")
	f.i("ROWS4START")
	groupLoop(f, "q80v4p", "q80v4tail", 2, func() {
		c, s := q80PairLoads("(SI)", 0, 1, 2)
		for _, l := range append(append(prefetch("(SI)"), c...), s...) {
			f.i("%s", l)
		}
		f.i("Q80VNNI4")
	}, "$68, SI", "$192, DI")
	tailHead(f, "q80v4tail", "q80v4done")
	for _, l := range q80One("(SI)", 0, 1, 2) {
		f.i("%s", l)
	}
	f.i("Q80VNNI4")
	f.label("q80v4done")
	f.i("ROWS4END(q80v4row)")
	kernelEnd(f, "q80v4end")
}

func dotQ80VNNI24(f *file) {
	f.comment("One input row for two Q8_0 rows (Z0/Z1 into accA, Z20/Z21 into accB).")
	macro(f, "Q80VNNI24IN(idx, accA, accB)",
		"VMOVDQU32   64(DI)(idx), Z3",
		"VMOVDQA32   Z3, Z23",
		"VMOVDQU32   (DI)(idx), Z24",
		"VMOVUPS     128(DI)(idx), Z26",
		"VPDPBUSD    Z24, Z0, Z3",
		"VPDPBUSD    Z24, Z20, Z23",
		"VCVTDQ2PS   Z3, Z3",
		"VCVTDQ2PS   Z23, Z23",
		"VMULPS      Z26, Z1, Z4",
		"VMULPS      Z26, Z21, Z5",
		"VFMADD231PS Z3, Z4, accA",
		"VFMADD231PS Z23, Z5, accB")
	f.comment(`
The codes of two rows in Z0 and Z8 (to flip), their scales in Y1/Y2
and Y9/Y10 (to blend).`)
	accA, accB := []int{6, 7, 18, 19}, []int{14, 15, 16, 17}
	macro(f, "Q80VNNI24", append([]string{
		"VPXORD       Z12, Z0, Z0",
		"VPXORD       Z12, Z8, Z20",
		"VPBLENDD     $0xf0, Y2, Y1, Y1",
		"VPBLENDD     $0xf0, Y10, Y9, Y9",
		"VCVTPH2PS    Y1, Z1",
		"VCVTPH2PS    Y9, Z21",
	}, rows24In("Q80VNNI24IN", accA, accB)...)...)
	textHead(f, "dotQ80VNNI24", true, "dotQ80VNNI4 for an even n, two adjacent weight rows at a time.")
	q80Setup(f)
	f.i("SHRQ   $1, R10")
	f.i("JZ     q80v24end")
	f.label("q80v24row")
	f.i("ROWS4START")
	zero(f, 18, 19, 14, 15, 16, 17)
	groupLoop(f, "q80v24p", "q80v24tail", 2, func() {
		c0, s0 := q80PairLoads("(SI)", 0, 1, 2)
		c1, s1 := q80PairLoads("(SI)(R11*1)", 8, 9, 10)
		lines := append(prefetch("(SI)"), prefetch("(SI)(R11*1)")...)
		for _, l := range append(append(append(append(lines, c0...), c1...), s0...), s1...) {
			f.i("%s", l)
		}
		f.i("Q80VNNI24")
	}, "$68, SI", "$192, DI")
	tailHead(f, "q80v24tail", "q80v24done")
	a, b := q80One("(SI)", 0, 1, 2), q80One("(SI)(R11*1)", 8, 9, 10)
	for _, l := range []string{a[0], b[0], a[1], a[2], b[1], b[2]} {
		f.i("%s", l)
	}
	f.i("Q80VNNI24")
	f.label("q80v24done")
	rows24End(f, accA, accB, "q80v24row")
	kernelEnd(f, "q80v24end")
}
