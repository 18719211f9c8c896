package main

// Go's arm64 assembler has no vector SXTL, SCVTF, UCVTF, FMUL, FADD or
// FADDP: the generator encodes them (Arm ARM, "Advanced SIMD") and writes
// WORD lines commented with the instruction, so a reader of the .s file
// sees what each word is.

// word writes an encoded instruction and its mnemonic.
func (f *file) word(enc uint32, asm string) {
	f.i("WORD $0x%x  // %s", enc, asm)
}

// sxtl writes SXTL (SSHLL #0) or, when upper, SXTL2: from B to H lanes
// when bytes, else from H to S lanes.
func (f *file) sxtl(d, n int, upper, bytes bool) {
	enc := uint32(0x0f10a400) // 4S <- 4H
	if bytes {
		enc = 0x0f08a400 // 8H <- 8B
	}
	name, shape := "SXTL", "4S<-4H"
	switch {
	case upper && bytes:
		name, shape = "SXTL2", "8H<-16B"
	case upper:
		name, shape = "SXTL2", "4S<-8H"
	case bytes:
		shape = "8H<-8B"
	}
	if upper {
		enc |= 1 << 30
	}
	f.word(enc|uint32(n)<<5|uint32(d), sprintf("%s V%d, V%d (%s)", name, d, n, shape))
}

// scvtf writes SCVTF Vd.4S, Vd.4S (signed int32 to float32, in place).
func (f *file) scvtf(d int) {
	f.word(0x4e21d800|uint32(d)<<5|uint32(d), sprintf("SCVTF V%d.4S, V%d.4S", d, d))
}

// ucvtf writes UCVTF Vd.4S, Vd.4S (unsigned int32 to float32, in place).
func (f *file) ucvtf(d int) {
	f.word(0x6e21d800|uint32(d)<<5|uint32(d), sprintf("UCVTF V%d.4S, V%d.4S", d, d))
}

// three-register float32x4 ops: d = n op m.
func (f *file) vop3(base uint32, name string, d, n, m int) {
	f.word(base|uint32(m)<<16|uint32(n)<<5|uint32(d), sprintf("%s V%d.4S, V%d.4S, V%d.4S", name, d, n, m))
}

func (f *file) fmul(d, n, m int)  { f.vop3(0x6e20dc00, "FMUL", d, n, m) }
func (f *file) fadd(d, n, m int)  { f.vop3(0x4e20d400, "FADD", d, n, m) }
func (f *file) faddp(d, n, m int) { f.vop3(0x6e20d400, "FADDP", d, n, m) }

// faddpS writes FADDP Sd, Vn.2S: the sum of the two low lanes.
func (f *file) faddpS(d, n int) {
	f.word(0x7e30d800|uint32(n)<<5|uint32(d), sprintf("FADDP S%d, V%d.2S", d, n))
}

// fcvtl writes FCVTL (upper: FCVTL2) Vd.4S, Vn.4H (.8H): four halves
// (the low or the high four) widened to float32.
func (f *file) fcvtl(d, n int, upper bool) {
	enc, name, src := uint32(0x0e217800), "FCVTL", "4H"
	if upper {
		enc, name, src = 0x4e217800, "FCVTL2", "8H"
	}
	f.word(enc|uint32(n)<<5|uint32(d), sprintf("%s V%d.4S, V%d.%s", name, d, n, src))
}

// shll16 writes SHLL (upper: SHLL2) Vd.4S, Vn.4H (.8H), #16: four 16-bit
// lanes zero-extended and shifted into the high halves of 32-bit lanes
// (bf16 to float32).
func (f *file) shll16(d, n int, upper bool) {
	enc, name, src := uint32(0x2e613800), "SHLL", "4H"
	if upper {
		enc, name, src = 0x6e613800, "SHLL2", "8H"
	}
	f.word(enc|uint32(n)<<5|uint32(d), sprintf("%s V%d.4S, V%d.%s, #16", name, d, n, src))
}
