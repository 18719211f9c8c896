package main

// prefetchL2 writes prefetchL2<arch>(p uintptr, n int): prefetch
// instructions for the n bytes from p into the L2 cache (quant's
// streamNext, follow.go, which brings the next product's weights in
// while the caller runs serial ops). Prefetches never fault, so p may be
// memory that is no longer mapped. Two lines per iteration; n need not
// be a multiple of 128 (the last lines up to p+n-1 are covered).
func prefetchL2(f *file, arm bool) {
	if !arm {
		name := "prefetchL2AMD64"
		f.line("// func %s(p uintptr, n int)", name)
		f.line("TEXT ·%s(SB), NOSPLIT, $0-16", name)
		f.i("MOVQ       p+0(FP), SI")
		f.i("MOVQ       n+8(FP), CX")
		f.i("ADDQ       SI, CX")
		f.label(name + "loop")
		f.i("CMPQ       SI, CX")
		f.i("JAE        %sdone", name)
		f.i("PREFETCHT1 (SI)")
		f.i("PREFETCHT1 64(SI)")
		f.i("ADDQ       $128, SI")
		f.i("JMP        %sloop", name)
		f.label(name + "done")
		f.i("RET")
		f.line("")
		return
	}
	name := "prefetchL2ARM64"
	f.line("// func %s(p uintptr, n int)", name)
	f.line("TEXT ·%s(SB), NOSPLIT, $0-16", name)
	f.i("MOVD p+0(FP), R0")
	f.i("MOVD n+8(FP), R1")
	f.i("ADD  R0, R1, R1")
	f.label(name + "loop")
	f.i("CMP  R1, R0")
	f.i("BHS  %sdone", name)
	f.i("PRFM (R0), PLDL2KEEP")
	f.i("PRFM 64(R0), PLDL2KEEP")
	f.i("ADD  $128, R0")
	f.i("B    %sloop", name)
	f.label(name + "done")
	f.i("RET")
	f.line("")
}
