package quant

import (
	"sync"

	"github.com/lbrx/lbrx/core"
)

// intKernel is the integer row kernel of a ggml scheme: the input row is
// quantized once per product to 8-bit blocks (q8Row) and each weight row
// is multiplied with integer dot products (VPDPBUSD, VPMADDUBSW) and one
// float scale per block, instead of widening every code to float. On
// Q4_0 this halves the vector operations per weight (see README). Only
// schemes with an assembly kernel have one; elsewhere the float row
// kernels (block_kernels.go) run.
type intKernel struct {
	pack func(dst []byte, a *q8Row) []byte // the kernels' layout of a q8Row
	// packBytes is the length of pack's output for nb blocks.
	packBytes func(nb int) int
	layout    *actLayout
	dot       intDot
	// dot4, where there is one, multiplies the rows with four inputs
	// at once (decoding each weight once for the four).
	dot4 intDot4
	// gemm, where there is one, runs batches of gemm.from or more.
	gemm *intGEMM
	// goDot is the portable dot on the unpacked row (the spec the tests
	// hold every variant to).
	goDot func(row []byte, a *q8Row) float32
	// variants are all the assembly kernels this CPU can run.
	variants []namedIntDot
}

// intDot writes y[i] = Σ w·x for the len(y) weight rows of nb blocks
// each in rows (consecutive) and the packed input row act.
type intDot func(rows []byte, nb int, act []byte, y []float32)

// intDot4 writes y[r*yStride+i] = Σ w·x for the n weight rows of nb
// blocks in rows and the four packed inputs act[r*actStride:] (r < 4).
type intDot4 func(rows []byte, n, nb int, act []byte, actStride int, y []float32, yStride int)

type namedIntDot struct {
	name string
	dot  intDot
}

// intGoDots are the portable integer dots, the spec of each scheme's
// kernels.
var intGoDots = map[core.Scheme]func(row []byte, a *q8Row) float32{
	core.SchemeQ4_0: dotQ40Q8,
	core.SchemeQ8_0: dotQ80Q8,
	core.SchemeQ6_K: dotQ6KQ8,
}

// intKernels is filled by the assembly files' init for the CPU.
var intKernels = map[core.Scheme]*intKernel{}

// installInt makes dot, reading inputs packed by layout, the scheme's
// integer kernel (the last install wins); earlier kernels with the same
// layout stay as variants for the tests.
func installInt(s core.Scheme, name string, layout *actLayout, dot intDot) {
	ik := intKernel{pack: layout.pack, packBytes: layout.packBytes, layout: layout, goDot: intGoDots[s]}
	if old := intKernels[s]; old != nil && old.layout == layout {
		ik.variants = append(ik.variants, old.variants...)
	}
	ik.dot = dot
	ik.variants = append(ik.variants, namedIntDot{name, dot})
	intKernels[s] = &ik
}

// actPool holds the quantized inputs between products (a decode step
// runs over a hundred of them).
var actPool = sync.Pool{New: func() any { return new(actBuf) }}

type actBuf struct {
	row    q8Row
	packed []byte
}

// matMulRowsInt is matMulRows for schemes with an integer kernel: each
// input row is quantized and packed once, then every weight row is
// multiplied with the m packed rows.
func (w *BlockWeight) matMulRowsInt(y, x []float32, m int, ik *intKernel) {
	bb, bv := BlockBytes(w.Scheme), BlockValues(w.Scheme)
	nb := w.K / bv
	buf := actPool.Get().(*actBuf)
	defer actPool.Put(buf)
	stride := ik.packBytes(nb)
	buf.packed = grow(buf.packed, m*stride)
	for r := range m {
		quantizeQ8Row(&buf.row, x[r*w.K:(r+1)*w.K])
		ik.pack(buf.packed[r*stride:(r+1)*stride], &buf.row)
	}
	act := buf.packed[:m*stride]
	rb := nb * bb
	parallelRows(w.N, m*w.N*w.K, func(lo, hi int) {
		if m == 1 {
			ik.dot(w.Blocks[lo*rb:hi*rb], nb, act, y[lo:hi])
			return
		}
		// Chunks of rowChunk weight rows stay in L1/L2 while the m
		// inputs pass.
		for n0 := lo; n0 < hi; n0 += rowChunk {
			n1 := min(n0+rowChunk, hi)
			r := 0
			if ik.dot4 != nil {
				for ; r+4 <= m; r += 4 {
					ik.dot4(w.Blocks[n0*rb:n1*rb], n1-n0, nb, act[r*stride:], stride, y[r*w.N+n0:], w.N)
				}
			}
			for ; r < m; r++ {
				ik.dot(w.Blocks[n0*rb:n1*rb], nb, act[r*stride:(r+1)*stride], y[r*w.N+n0:r*w.N+n1])
			}
		}
	})
	streamNext(w)
}

// rowChunk weight rows of K = 8192 at 4 bits (72 KiB) fit the L2.
const rowChunk = 16
