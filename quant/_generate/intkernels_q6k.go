package main

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
