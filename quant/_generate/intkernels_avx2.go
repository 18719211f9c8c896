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
