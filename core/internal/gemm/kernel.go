package gemm

import "unsafe"

// kernel is one register-blocked micro-kernel: it multiplies an mr×kc
// packed A panel by a kc×nr packed B panel and writes (acc=false) or adds
// (acc=true) the mr×nr result to C, whose row stride is ldc elements.
// Packed A holds mr consecutive values per k step, packed B nr. kc >= 1.
type kernel struct {
	name string
	mr   int
	nr   int
	run  func(kc int, a, b, c *float32, ldc int, acc bool)
	// block is the cache blocking tuned for this kernel's tile.
	block blocking
	// vw is the vector width (in float32s) of dot and axpy; 0 when this
	// instruction set has none and the Go loops run alone.
	vw int
	// dot returns Σ x[i]·y[i] and axpy does y[i] += alpha·x[i], both over
	// n elements, n a multiple of vw.
	dot  func(n int, x, y *float32) float32
	axpy func(n int, alpha float32, x, y *float32)
	// dot4, when set, computes four rows' dot products (row stride lda)
	// with one pass over x; n is a multiple of vw.
	dot4 func(n int, a *float32, lda int, x *float32, out *[4]float32)
	// dot4Half is dot4 over float16 (index F16) or bfloat16 (BF16) rows,
	// widened in registers; nil entries fall back to widening in memory.
	dot4Half [3]func(n int, a *uint16, lda int, x *float32, out *[4]float32)
	// tails are cheaper kernels for an edge panel with few real rows,
	// smallest first: each reads the same mr-row packed panel but computes
	// and writes only its leading rows (always with acc=false, into the
	// tile buffer).
	tails []tailKernel
}

// tailKernel computes only the first rows rows of a micro-tile.
type tailKernel struct {
	rows int
	run  func(kc int, a, b, c *float32, ldc int, acc bool)
}

// edgeRun returns the cheapest kernel computing at least h rows.
func (k *kernel) edgeRun(h int) func(kc int, a, b, c *float32, ldc int, acc bool) {
	for _, t := range k.tails {
		if h <= t.rows {
			return t.run
		}
	}
	return k.run
}

// goMR and goNR size the portable micro-kernel: a 4×4 tile keeps its 16
// accumulators in local variables, which the compiler holds in registers
// (on arm64 all of them, on amd64 most); it is the fallback, not the fast
// path.
const (
	goMR = 4
	goNR = 4
)

// kernelGo is the portable micro-kernel, used when no assembly kernel
// applies (other architectures, the noasm tag, or a forced "go" path).
var kernelGo = kernel{name: "go", mr: goMR, nr: goNR, run: microGo, block: blocking{kc: 256, nb: 512, mb: 1024}}

func microGo(kc int, ap, bp, cp *float32, ldc int, acc bool) {
	a := unsafe.Slice(ap, kc*goMR)
	b := unsafe.Slice(bp, kc*goNR)
	var c00, c01, c02, c03, c10, c11, c12, c13 float32
	var c20, c21, c22, c23, c30, c31, c32, c33 float32
	for p := range kc {
		av := (*[goMR]float32)(a[p*goMR:])
		bv := (*[goNR]float32)(b[p*goNR:])
		b0, b1, b2, b3 := bv[0], bv[1], bv[2], bv[3]
		a0, a1, a2, a3 := av[0], av[1], av[2], av[3]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	t := [goMR][goNR]float32{{c00, c01, c02, c03}, {c10, c11, c12, c13}, {c20, c21, c22, c23}, {c30, c31, c32, c33}}
	c := unsafe.Slice(cp, (goMR-1)*ldc+goNR)
	for i := range goMR {
		row := (*[goNR]float32)(c[i*ldc:])
		if acc {
			for j := range row {
				row[j] += t[i][j]
			}
		} else {
			*row = t[i]
		}
	}
}
