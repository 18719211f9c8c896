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

// goMR and goNR size the portable micro-kernel: 4×8 keeps its 32
// accumulators in a small local array the compiler can hold in registers
// partly; it is the fallback, not the fast path.
const (
	goMR = 4
	goNR = 8
)

// kernelGo is the portable micro-kernel, used when no assembly kernel
// applies (other architectures, the noasm tag, or a forced "go" path).
var kernelGo = kernel{name: "go", mr: goMR, nr: goNR, run: microGo, block: blocking{kc: 256, nb: 512, mb: 1024}}

func microGo(kc int, ap, bp, cp *float32, ldc int, acc bool) {
	a := unsafe.Slice(ap, kc*goMR)
	b := unsafe.Slice(bp, kc*goNR)
	var t [goMR][goNR]float32
	for p := range kc {
		av := a[p*goMR : p*goMR+goMR : p*goMR+goMR]
		bv := b[p*goNR : p*goNR+goNR : p*goNR+goNR]
		for i, x := range av {
			row := &t[i]
			for j, y := range bv {
				row[j] += x * y
			}
		}
	}
	c := unsafe.Slice(cp, (goMR-1)*ldc+goNR)
	for i := range goMR {
		row := c[i*ldc : i*ldc+goNR]
		if acc {
			for j := range row {
				row[j] += t[i][j]
			}
		} else {
			copy(row, t[i][:])
		}
	}
}
