//go:build !noasm

package gemm

// packA14 packs a full 14-row panel of a row-major A (rows row..row+13,
// k steps p0..p0+kc) k step by k step: fourteen loads from fourteen row
// streams and one contiguous 14-value store per step, which outruns a
// hardware gather on Zen cores.
func packA14(a []float32, lda, row, p0, kc int, dst []float32) {
	base := row*lda + p0
	r0 := a[base : base+kc]
	r1 := a[base+lda : base+lda+kc]
	r2 := a[base+2*lda : base+2*lda+kc]
	r3 := a[base+3*lda : base+3*lda+kc]
	r4 := a[base+4*lda : base+4*lda+kc]
	r5 := a[base+5*lda : base+5*lda+kc]
	r6 := a[base+6*lda : base+6*lda+kc]
	r7 := a[base+7*lda : base+7*lda+kc]
	r8 := a[base+8*lda : base+8*lda+kc]
	r9 := a[base+9*lda : base+9*lda+kc]
	r10 := a[base+10*lda : base+10*lda+kc]
	r11 := a[base+11*lda : base+11*lda+kc]
	r12 := a[base+12*lda : base+12*lda+kc]
	r13 := a[base+13*lda : base+13*lda+kc]
	dst = dst[:14*kc]
	for p := range r0 {
		d := (*[14]float32)(dst[p*14 : p*14+14])
		d[0], d[1], d[2], d[3] = r0[p], r1[p], r2[p], r3[p]
		d[4], d[5], d[6], d[7] = r4[p], r5[p], r6[p], r7[p]
		d[8], d[9], d[10], d[11] = r8[p], r9[p], r10[p], r11[p]
		d[12], d[13] = r12[p], r13[p]
	}
}
