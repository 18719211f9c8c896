package main

// ones16 broadcasts the 16-bit ones of VPMADDWD into Y13.
func ones16(f *file) {
	f.i("MOVL  $0x00010001, AX")
	f.i("VMOVD AX, X13")
	f.i("VPBROADCASTD X13, Y13")
}

// avx2RowStart starts a row of an AVX2 integer kernel: two accumulators.
func avx2RowStart(f *file, row string) {
	f.label(row)
	f.i("ROWSTART")
	f.i("VPXOR Y6, Y6, Y6")
	f.i("VPXOR Y7, Y7, Y7")
}

// avx2RowEnd sums Y6 and Y7 into X0 and stores it.
func avx2RowEnd(f *file, done, row, end string) {
	f.label(done)
	f.i("VADDPS       Y7, Y6, Y6")
	f.i("VEXTRACTF128 $1, Y6, X1")
	f.i("VADDPS       X1, X6, X0")
	f.i("VHADDPS      X0, X0, X0")
	f.i("VHADDPS      X0, X0, X0")
	f.i("ROWEND(%s)", row)
	kernelEnd(f, end)
}

func dotQ40AVX2Int(f *file) {
	f.raw(`
// Two Q4_0 blocks at a and b (bytes from SI) against the packed group at
// DI (low codes at lo, high at lo+64, initial sums at lo+128, scales at
// lo+192), into acc. VPMADDUBSW cannot saturate: 2*15*127 < 2^15.
#define Q40AVX2PAIR(a, b, lo, acc) \
	VMOVDQU     a+2(SI), X0; \
	VINSERTI128 $1, b+2(SI), Y0, Y0; \
	MOVWLZX     a(SI), AX; \
	MOVWLZX     b(SI), BX; \
	SHLL        $16, BX; \
	ORL         BX, AX; \
	Q40AVX2REST(lo, acc)

// One Q4_0 block at a (the pair's second block zero).
#define Q40AVX2ONE(a, lo, acc) \
	VMOVDQU a+2(SI), X0; \
	MOVWLZX a(SI), AX; \
	Q40AVX2REST(lo, acc)

#define Q40AVX2REST(lo, acc) \
	VPSRLW      $4, Y0, Y2; \
	VPAND       Y12, Y0, Y0; \
	VPAND       Y12, Y2, Y2; \
	VPMADDUBSW  lo(DI), Y0, Y0; \
	VPMADDUBSW  lo+64(DI), Y2, Y2; \
	VPADDW      Y2, Y0, Y0; \
	VPMADDWD    Y13, Y0, Y0; \
	VPADDD      lo+128(DI), Y0, Y0; \
	VCVTDQ2PS   Y0, Y0; \
	VMOVD       AX, X1; \
	VPSHUFB     X14, X1, X1; \
	VCVTPH2PS   X1, Y1; \
	VMULPS      lo+192(DI), Y1, Y1; \
	VFMADD231PS Y0, Y1, acc

`)
	textHead(f, "dotQ40AVX2Int", false, "")
	f.i("MOVL  $0x0f0f0f0f, AX")
	f.i("VMOVD AX, X12")
	f.i("VPBROADCASTD X12, Y12")
	ones16(f)
	f.i("VMOVDQU scale2x4<>(SB), X14")
	f.i("TESTQ R10, R10")
	f.i("JZ    q40aend")
	avx2RowStart(f, "q40arow")
	groupLoop(f, "q40a4", "q40atail", 4, func() {
		f.i("Q40AVX2PAIR(0, 18, 0, Y6)")
		f.i("Q40AVX2PAIR(36, 54, 32, Y7)")
	}, "$72, SI", "$256, DI")
	f.label("q40atail")
	f.i("CMPQ CX, $1")
	f.i("JLT  q40adone")
	f.i("JEQ  q40a1")
	f.i("Q40AVX2PAIR(0, 18, 0, Y6)")
	f.i("CMPQ CX, $3")
	f.i("JLT  q40adone")
	f.i("Q40AVX2ONE(36, 32, Y7)")
	f.i("JMP  q40adone")
	f.label("q40a1")
	f.i("Q40AVX2ONE(0, 0, Y6)")
	avx2RowEnd(f, "q40adone", "q40arow", "q40aend")
}

func dotQ80AVX2Int(f *file) {
	f.raw(`
// One Q8_0 block at a against the packed codes at DI+x and scales at
// DI+s, into acc: |q_w| times q_x with q_w's sign (VPMADDUBSW sums
// at most 2*128*127 < 2^15).
#define Q80AVX2(a, x, s, acc) \
	VMOVDQU      a+2(SI), Y0; \
	VMOVDQU      x(DI), Y3; \
	VPABSB       Y0, Y1; \
	VPSIGNB      Y0, Y3, Y3; \
	VPMADDUBSW   Y3, Y1, Y2; \
	VPMADDWD     Y13, Y2, Y2; \
	VCVTDQ2PS    Y2, Y2; \
	VPBROADCASTW a(SI), X1; \
	VCVTPH2PS    X1, Y1; \
	VMULPS       s(DI), Y1, Y1; \
	VFMADD231PS  Y2, Y1, acc

`)
	textHead(f, "dotQ80AVX2Int", false, "")
	ones16(f)
	f.i("TESTQ R10, R10")
	f.i("JZ    q80aend")
	avx2RowStart(f, "q80arow")
	groupLoop(f, "q80a2", "q80atail", 2, func() {
		f.i("Q80AVX2(0, 0, 128, Y6)")
		f.i("Q80AVX2(34, 32, 160, Y7)")
	}, "$68, SI", "$192, DI")
	tailHead(f, "q80atail", "q80adone")
	f.i("Q80AVX2(0, 0, 128, Y6)")
	avx2RowEnd(f, "q80adone", "q80arow", "q80aend")
}

// repeat4 is w four times (a 256-bit half of a word-lane table).
func repeat4(w uint64) []uint64 { return []uint64{w, w, w, w} }

func q6Tables(f *file) {
	f.comment(`
Q6_K: word shift counts that bring qh's bit pairs 0-1 / 2-3 (left)
and 4-5 / 6-7 (right) to bits 4-5, per 256-bit half.`)
	data(f, "q6shl", append(repeat4(0x0004000400040004), repeat4(0x0002000200020002)...))
	data(f, "q6shr", append(repeat4(0), repeat4(0x0002000200020002)...))
	f.comment("Q6_K: VPERMPS indices spreading sub-block scale 4z+s over lanes 4s..4s+3.")
	perm := make([]uint64, 32)
	for i := range perm {
		k := uint64(i / 2)
		perm[i] = k<<32 | k
	}
	data(f, "q6perm", perm)
}

// q6Half is one 128-value half h of a Q6_K block: two quarters of 64
// into Z8 and Z9.
func q6Half(f *file, h int) {
	f.i("VMOVDQU64       %d(SI), Z0", 64*h)
	f.i("VPSRLW          $4, Z0, Z2")
	f.i("VPANDD          Z12, Z0, Z0")
	f.i("VPANDD          Z12, Z2, Z2")
	f.i("VBROADCASTI64X4 %d(SI), Z3", 128+32*h)
	f.i("VPSLLVW         Z14, Z3, Z4")
	f.i("VPSRLVW         Z15, Z3, Z5")
	f.i("VPTERNLOGD      $0xea, Z0, Z13, Z4")
	f.i("VPTERNLOGD      $0xea, Z2, Z13, Z5")
	for q := range 2 {
		x := 64 * (2*h + q)
		f.i("VMOVDQU32   %d(DI), Z6", 256+x)
		f.i("VPDPBUSD    %d(DI), Z%d, Z6", x, 4+q)
		f.i("VCVTDQ2PS   Z6, Z6")
		f.i("VMULPS      %d(DI), Z6, Z6", 512+x)
		f.i("VPERMPS     Z20, Z%d, Z7", 16+2*h+q)
		f.i("VFMADD231PS Z6, Z7, Z%d", 8+q)
	}
}

func dotQ6KVNNI(f *file) {
	textHead(f, "dotQ6KVNNI", false, `
Q6_K rows against an input packed by packQ6K: per 64-value quarter the
6-bit codes (low nibbles of ql for values 0-63 of a half, high ones for
64-127; qh's bit pairs shifted to bits 4-5 and merged with
VPTERNLOGD) meet the input codes in VPDPBUSD from the packed -32*Σq_x,
so each 128-bit lane holds a quarter of one 16-value sub-block's
integer sum; it is scaled by d_x and d*sc.`)
	f.i("MOVL      $0x0f0f0f0f, AX")
	f.i("VPBROADCASTD AX, Z12")
	f.i("MOVL      $0x30303030, AX")
	f.i("VPBROADCASTD AX, Z13")
	f.i("VMOVDQU64 q6shl<>(SB), Z14")
	f.i("VMOVDQU64 q6shr<>(SB), Z15")
	for i := range 4 {
		f.i("VMOVDQU64 q6perm<>+%d(SB), Z%d", 64*i, 16+i)
	}
	f.i("TESTQ R10, R10")
	f.i("JZ    q6vend")
	f.label("q6vrow")
	f.i("ROWSTART")
	zero(f, 8, 9)
	f.i("TESTQ CX, CX")
	f.i("JZ    q6vdone")
	f.label("q6vblock")
	for i := range 4 {
		f.i("PREFETCHT0   %d(SI)", 1024+64*i)
	}
	f.i("// The block's 16 sub-block scales as floats times d.")
	f.i("VPMOVSXBD    192(SI), Z20")
	f.i("VCVTDQ2PS    Z20, Z20")
	f.i("VPBROADCASTW 208(SI), Y21")
	f.i("VCVTPH2PS    Y21, Z21")
	f.i("VMULPS       Z21, Z20, Z20")
	q6Half(f, 0)
	q6Half(f, 1)
	f.i("ADDQ $210, SI")
	f.i("ADDQ $768, DI")
	f.i("DECQ CX")
	f.i("JNZ  q6vblock")
	f.label("q6vdone")
	f.i("VADDPS Z9, Z8, Z8")
	f.i("REDUCE512(Z8, Y8)")
	f.i("ROWEND(q6vrow)")
	kernelEnd(f, "q6vend")
}
