//go:build !noasm

package gemm

import "golang.org/x/sys/cpu"

// Assembly micro-kernels; see kernel.go for the contract.

//go:noescape
func microAVX512(kc int, a, b, c *float32, ldc int, acc bool)

//go:noescape
func microAVX2(kc int, a, b, c *float32, ldc int, acc bool)

//go:noescape
func transpose16AVX512(src *float32, lds int, dst *float32, ldd int)

//go:noescape
func microAVX512x8(kc int, a, b, c *float32, ldc int, acc bool)

//go:noescape
func microAVX512x4(kc int, a, b, c *float32, ldc int, acc bool)

//go:noescape
func packA14AVX512(kc int, src *float32, lda int, dst *float32)

//go:noescape
func sdotAVX512(n int, x, y *float32) float32

//go:noescape
func saxpyAVX512(n int, alpha float32, x, y *float32)

//go:noescape
func sdot4AVX512(n int, a *float32, lda int, x *float32, out *[4]float32)

//go:noescape
func sdot4F16AVX512(n int, a *uint16, lda int, x *float32, out *[4]float32)

//go:noescape
func sdot4BF16AVX512(n int, a *uint16, lda int, x *float32, out *[4]float32)

//go:noescape
func sdotAVX2(n int, x, y *float32) float32

//go:noescape
func saxpyAVX2(n int, alpha float32, x, y *float32)

var (
	kernelAVX512 = kernel{name: "avx512", mr: 14, nr: 32, run: microAVX512, block: blocking{kc: 384, nb: 320, mb: 4088}, vw: 16, dot: sdotAVX512, axpy: saxpyAVX512, dot4: sdot4AVX512,
		dot4Half: [3]func(int, *uint16, int, *float32, *[4]float32){F16: sdot4F16AVX512, BF16: sdot4BF16AVX512},
		tails:    []tailKernel{{4, microAVX512x4}, {8, microAVX512x8}}}
	kernelAVX2 = kernel{name: "avx2", mr: 6, nr: 16, run: microAVX2, block: blocking{kc: 256, nb: 768, mb: 4092}, vw: 8, dot: sdotAVX2, axpy: saxpyAVX2}
)

// archKernels lists the kernels this CPU can run, fastest first.
// packAFast packs a full panel of a row-major A with the kernel's
// transposing packer where one exists for the panel height; it reports
// whether it did.
func packAFast(kern *kernel, a []float32, lda, row, p0, kc int, dst []float32) bool {
	if kern != &kernelAVX512 {
		return false
	}
	body := kc &^ 15
	if body > 0 {
		// Bounds: the panel's last element is checked so the loads stay
		// inside a, and dst's so the stores stay inside it.
		_ = a[(row+13)*lda+p0+kc-1]
		_ = dst[14*kc-1]
		packA14AVX512(body, &a[row*lda+p0], lda, &dst[0])
	}
	if body < kc {
		packA14(a, lda, row, p0+body, kc-body, dst[14*body:])
	}
	return true
}

// packBTransFast packs a full 32-column panel of a transposed B (stored
// rows j0..j0+31, k steps p0..p0+kc) with 16×16 register transposes; it
// reports whether it did.
func packBTransFast(kern *kernel, b []float32, ldb, j0, p0, kc int, dst []float32) bool {
	if kern != &kernelAVX512 {
		return false
	}
	body := kc &^ 15
	if body > 0 {
		_ = b[(j0+31)*ldb+p0+kc-1]
		_ = dst[32*kc-1]
		for p := 0; p < body; p += 16 {
			transpose16AVX512(&b[j0*ldb+p0+p], ldb, &dst[p*32], 32)
			transpose16AVX512(&b[(j0+16)*ldb+p0+p], ldb, &dst[p*32+16], 32)
		}
	}
	for p := body; p < kc; p++ {
		d := (*[32]float32)(dst[p*32 : p*32+32])
		for jj := range d {
			d[jj] = b[(j0+jj)*ldb+p0+p]
		}
	}
	return true
}

func archKernels() []*kernel {
	var ks []*kernel
	if cpu.X86.HasAVX512F {
		ks = append(ks, &kernelAVX512)
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		ks = append(ks, &kernelAVX2)
	}
	return append(ks, &kernelGo)
}
