package quant

import (
	"errors"
	"fmt"

	"github.com/lbrx/lbrx/core"
)

// Weight is a quantized [N, K] weight prepared for y = x @ W^T on the CPU:
// its codes and parameters are read once from the array into host slices,
// and every call decodes groups on the fly; the dequantized W is never
// materialised.
type Weight interface {
	// Dims returns N (outputs) and K (inputs).
	Dims() (n, k int)
	// MatMul computes y[m, N] = x[m, K] @ W^T; x and y are row-major.
	MatMul(y, x []float32, m int) error
}

// AffineWeight is an MLX affine weight in host memory. Layout (MLX's):
// row n's codes are Codes[n*K*Bits/32 : (n+1)*K*Bits/32], one continuous
// LSB-first bit stream of K codes (code j at bits [j*Bits, (j+1)*Bits),
// words little-endian, codes may straddle words for 3, 5 and 6 bits);
// Scales and Biases are [N, K/GroupSize], value = scale*q + bias.
// Prepare leaves Codes aliasing the array's storage where it can (a
// mapped model file's read-only pages included): do not write to them.
type AffineWeight struct {
	N, K, Bits, GroupSize int
	Codes                 []uint32
	Scales, Biases        []float32
}

// BlockWeight is a ggml block weight in host memory, multiplied in place:
// row n is K/BlockValues(Scheme) consecutive blocks of BlockBytes(Scheme)
// bytes, exactly as GGUF stores them. Prepare leaves Blocks aliasing the
// array's storage (a mapped model file included): do not write to them.
type BlockWeight struct {
	Scheme core.Scheme
	N, K   int
	Blocks []byte
}

// Prepare reads a quantized weight (MLX affine or ggml blocks, logical
// shape [N, K]) into a Weight. Biases are derived from zero points where
// the array holds those. ggml blocks of every scheme come back as a
// *BlockWeight over the array's own bytes (no copy: a mapped GGUF model
// costs its file size); BlocksToAffine repacks Q8_0/Q4_0/Q4_1 for the
// affine kernels instead where that is wanted.
func Prepare(w *core.Array) (Weight, error) {
	qi, err := quantOf(w)
	if err != nil {
		return nil, fmt.Errorf("prepare weight: %w", err)
	}
	if qi.Scheme == core.SchemeAffine {
		p, err := affineOf(w)
		if err != nil {
			return nil, fmt.Errorf("prepare weight: %w", err)
		}
		if len(p.shape) != 2 {
			return nil, fmt.Errorf("prepare weight %v: logical shape %v is not [N, K]", w, p.shape)
		}
		return &AffineWeight{N: p.rows, K: p.k, Bits: p.bits, GroupSize: p.group, Codes: p.codes, Scales: p.scales, Biases: p.biases}, nil
	}
	raw, k, shape, err := blocksOf(w)
	if err != nil {
		return nil, fmt.Errorf("prepare weight: %w", err)
	}
	if len(shape) != 2 {
		return nil, fmt.Errorf("prepare weight %v: logical shape %v is not [N, K]", w, shape)
	}
	return &BlockWeight{Scheme: qi.Scheme, N: shape[0], K: k, Blocks: raw}, nil
}

// MatMul returns y = x @ W^T for a quantized weight w of logical shape
// [N, K] and x of shape [..., K] (F32, F16 or BF16). y is F32 [..., N].
// For repeated products with one weight, Prepare it once instead.
func MatMul(x, w *core.Array) (*core.Array, error) {
	if x == nil {
		return nil, errors.New("quantized matmul: nil input")
	}
	pw, err := Prepare(w)
	if err != nil {
		return nil, fmt.Errorf("quantized matmul: %w", err)
	}
	y, err := matMulPrepared(x, pw)
	if err != nil {
		return nil, fmt.Errorf("quantized matmul %v @ %v^T: %w", x, w, err)
	}
	return y, nil
}

// matMulPrepared is MatMul with the weight prepared already.
func matMulPrepared(x *core.Array, pw Weight) (*core.Array, error) {
	n, k := pw.Dims()
	xs := x.Shape()
	if len(xs) < 1 || xs[len(xs)-1] != k {
		return nil, fmt.Errorf("x %v does not end in K=%d of the weight", x, k)
	}
	ys := xs.Clone()
	ys[len(ys)-1] = n
	// The product is written straight into the result's storage (a
	// decode step runs over a hundred products; a slice copied into a
	// new array doubled their allocations).
	out, err := core.Empty(core.CPU(), core.F32, ys)
	if err != nil {
		return nil, err
	}
	if err := matMulInto(hostF32(out), x, pw); err != nil {
		return nil, err
	}
	return out, nil
}

// matMulInto writes x @ W^T into y (len(y) = rows of x times N), reading
// an f32 x in place.
func matMulInto(y []float32, x *core.Array, pw Weight) error {
	n, k := pw.Dims()
	r := x.Rank()
	if r < 1 || x.Dim(r-1) != k {
		return fmt.Errorf("x %v does not end in K=%d of the weight", x, k)
	}
	m := 1
	for i := range r - 1 {
		m *= x.Dim(i)
	}
	if len(y) != m*n {
		return fmt.Errorf("output holds %d values, want %d×%d", len(y), m, n)
	}
	xv, err := float32sRead(x)
	if err != nil {
		return err
	}
	return pw.MatMul(y, xv, m)
}

// Dims returns N and K.
func (w *AffineWeight) Dims() (n, k int) { return w.N, w.K }

// Dims returns N and K.
func (w *BlockWeight) Dims() (n, k int) { return w.N, w.K }

func (w *AffineWeight) check(y, x []float32, m int) error {
	if err := CheckParams(w.Bits, w.GroupSize); err != nil {
		return err
	}
	if w.K < 0 || w.K%w.GroupSize != 0 || w.N < 0 || m < 0 {
		return fmt.Errorf("weight [%d %d] with group size %d is malformed", w.N, w.K, w.GroupSize)
	}
	ng := w.N * (w.K / w.GroupSize)
	if len(w.Codes) < w.N*w.K*w.Bits/32 || len(w.Scales) < ng || len(w.Biases) < ng {
		return fmt.Errorf("weight [%d %d]: codes or parameters too short", w.N, w.K)
	}
	if len(x) < m*w.K || len(y) < m*w.N {
		return fmt.Errorf("x holds %d values and y %d, need %d and %d for %d rows", len(x), len(y), m*w.K, m*w.N, m)
	}
	return nil
}

// groupSums returns the sum of x over every group of every row: the bias
// term of each group is bias*Σx, so it costs one multiply per group.
func groupSums(x []float32, m, k, group int) []float32 {
	gpr := k / group
	s := make([]float32, m*gpr)
	for r := range m {
		for g := range gpr {
			var a0, a1, a2, a3 float32
			xs := x[r*k+g*group : r*k+(g+1)*group]
			for i := 0; i+4 <= len(xs); i += 4 {
				a0 += xs[i]
				a1 += xs[i+1]
				a2 += xs[i+2]
				a3 += xs[i+3]
			}
			s[r*gpr+g] = (a0 + a1) + (a2 + a3)
		}
	}
	return s
}

// parallelAlign is the row granularity of parallelRows' chunks: 16 rows,
// so the four-row kernels' quarter streams stay long.
const parallelAlign = 16

// parallelRows splits [0, n) over core's persistent CPU workers when the
// work (n*k multiply-adds per input row) is large enough to pay for
// them, in chunks of multiples of parallelAlign rows.
func parallelRows(n, work int, f func(lo, hi int)) {
	parallelRowsAligned(n, work, parallelAlign, f)
}

// parallelRowsAligned is parallelRows in chunks of multiples of align
// rows.
func parallelRowsAligned(n, work, align int, f func(lo, hi int)) {
	if work < 1<<18 || n < 32 {
		f(0, n)
		return
	}
	core.ParallelFor(n, align, f)
}

// MatMul computes y = x @ W^T; see Weight.
func (w *AffineWeight) MatMul(y, x []float32, m int) error {
	if err := w.check(y, x, m); err != nil {
		return fmt.Errorf("affine matmul: %w", err)
	}
	if m == 0 || w.N == 0 {
		return nil
	}
	if w.K == 0 { // an empty sum
		clear(y[:m*w.N])
		return nil
	}
	xs := groupSums(x, m, w.K, w.GroupSize)
	if w.kernel() != nil {
		xk, xq := x[:m*w.K], x[:m*w.K]
		if w.Bits == 4 {
			xk = make([]float32, m*w.K)
			for r := range m {
				permute4(xk[r*w.K:(r+1)*w.K], x[r*w.K:(r+1)*w.K])
			}
			if rows4Dot4 != nil {
				xq = make([]float32, m*w.K)
				for r := range m {
					permute4x128(xq[r*w.K:(r+1)*w.K], x[r*w.K:(r+1)*w.K])
				}
			}
		}
		if w.Bits == 8 && rows4Dot8 != nil {
			xq = make([]float32, m*w.K)
			for r := range m {
				permute8x64(xq[r*w.K:(r+1)*w.K], x[r*w.K:(r+1)*w.K])
			}
		}
		parallelRows(w.N, m*w.N*w.K, func(lo, hi int) { w.matMulKernel(y, xk, xq, xs, m, lo, hi) })
		return nil
	}
	parallelRows(w.N, m*w.N*w.K, func(lo, hi int) {
		if m == 1 {
			w.matVec(y, x, xs, lo, hi)
			return
		}
		w.matMat(y, x, xs, m, lo, hi)
	})
	return nil
}

// kernel returns the assembly row kernel for this weight's width, if the
// CPU has one.
func (w *AffineWeight) kernel() func(codes []uint32, x, scales []float32, group int) float32 {
	switch w.Bits {
	case 4:
		return rowDot4
	case 8:
		return rowDot8
	}
	return nil
}

// rows4 returns the four-row kernel for this weight's width, if the CPU
// has one.
func (w *AffineWeight) rows4() func(out *[4]float32, codes []uint32, cstride int, x, scales, biases []float32, sstride int, xs []float32, group int) {
	switch w.Bits {
	case 4:
		return rows4Dot4
	case 8:
		return rows4Dot8
	}
	return nil
}

// matMulKernel runs the assembly row kernel for outputs [lo, hi) of
// every input row; x is permuted for the row kernels already, xq for the
// four-row kernels. The outer loop is over weight rows so that a row's
// codes stay in L1 while the m inputs pass.
func (w *AffineWeight) matMulKernel(y, x, xq, xs []float32, m, lo, hi int) {
	k := w.kernel()
	wpr := w.K * w.Bits / 32
	gpr := w.K / w.GroupSize
	// The AVX2 four-input kernel serves batches only where the AVX-512
	// four-row kernel is missing: running that one once per input row
	// measured 1.46x faster at m = 8 (4096², 4-bit, one thread).
	r0 := 0
	if w.Bits == 4 && rowDot4x4 != nil && m >= 4 && rows4Dot4 == nil {
		w.matMul4x4(y, x, xs, m&^3, lo, hi)
		r0 = m &^ 3
	}
	n := lo
	if rows4 := w.rows4(); rows4 != nil && r0 < m && hi-lo >= 4 {
		// Four weight rows per call for the remaining input rows: rows
		// n, n+q, n+2q, n+3q with q a quarter of the range, so each of
		// the four code streams runs on through memory from one call to
		// the next (adjacent rows would restart four streams every call,
		// which measured ~15% slower reading beyond the cache).
		var out [4]float32
		q := (hi - lo) / 4
		for ; n < lo+q; n++ {
			codes := w.Codes[n*wpr : (n+3*q+1)*wpr]
			sc := w.Scales[n*gpr : (n+3*q+1)*gpr]
			bs := w.Biases[n*gpr : (n+3*q+1)*gpr]
			for r := r0; r < m; r++ {
				rows4(&out, codes, q*wpr, xq[r*w.K:(r+1)*w.K], sc, bs, q*gpr, xs[r*gpr:(r+1)*gpr], w.GroupSize)
				for i, v := range out {
					y[r*w.N+n+i*q] = v
				}
			}
		}
		n = lo + 4*q
	}
	for ; n < hi; n++ {
		codes := w.Codes[n*wpr : (n+1)*wpr]
		sc := w.Scales[n*gpr : (n+1)*gpr]
		bs := w.Biases[n*gpr : (n+1)*gpr]
		for r := r0; r < m; r++ {
			y[r*w.N+n] = k(codes, x[r*w.K:(r+1)*w.K], sc, w.GroupSize) + dotF32(bs, xs[r*gpr:(r+1)*gpr])
		}
	}
}

// kChunk is the slice of K that matMul4x4 keeps hot: four input rows of
// it (16 KiB) stay in L1 while every weight row's codes for it pass.
const kChunk = 1024

// matMul4x4 runs the four-row kernel over input rows [0, m4) (a multiple
// of 4) and outputs [lo, hi), K chunk by K chunk so the inputs are read
// from L1 rather than once per weight row from L2.
func (w *AffineWeight) matMul4x4(y, x, xs []float32, m4, lo, hi int) {
	wpr := w.K / 8
	gpr := w.K / w.GroupSize
	for r := range m4 {
		for n := lo; n < hi; n++ {
			y[r*w.N+n] = dotF32(w.Biases[n*gpr:(n+1)*gpr], xs[r*gpr:(r+1)*gpr])
		}
	}
	var out [4]float32
	for k0 := 0; k0 < w.K; k0 += kChunk {
		k1 := min(w.K, k0+kChunk)
		for n := lo; n < hi; n++ {
			codes := w.Codes[n*wpr+k0/8 : n*wpr+k1/8]
			sc := w.Scales[n*gpr+k0/w.GroupSize : n*gpr+k1/w.GroupSize]
			for r := 0; r < m4; r += 4 {
				rowDot4x4(&out, codes, x[r*w.K+k0:], k1-k0, w.K, sc, w.GroupSize)
				for i, v := range out {
					y[(r+i)*w.N+n] += v
				}
			}
		}
	}
}

// matVec handles one input row: the LLM decode step, bound by reading
// the codes once. 4- and 8-bit codes have unrolled loops that keep the
// partial sums in registers; other widths unpack a group into a small
// buffer first.
func (w *AffineWeight) matVec(y, x, xs []float32, lo, hi int) {
	wpr := w.K * w.Bits / 32
	gpr := w.K / w.GroupSize
	gw := w.GroupSize * w.Bits / 32 // words per group
	var buf []uint32
	if w.Bits != 4 && w.Bits != 8 {
		buf = make([]uint32, w.GroupSize)
	}
	for n := lo; n < hi; n++ {
		codes := w.Codes[n*wpr : (n+1)*wpr]
		sc := w.Scales[n*gpr : (n+1)*gpr]
		bs := w.Biases[n*gpr : (n+1)*gpr]
		var acc float32
		for g := range gpr {
			cg := codes[g*gw : (g+1)*gw]
			xg := x[g*w.GroupSize : (g+1)*w.GroupSize]
			var d float32
			switch w.Bits {
			case 4:
				d = dot4(cg, xg)
			case 8:
				d = dot8(cg, xg)
			default:
				unpackRow(buf, cg, w.GroupSize, w.Bits)
				d = dotCodes(buf, xg)
			}
			acc += sc[g]*d + bs[g]*xs[g]
		}
		y[n] = acc
	}
}

// matMat handles m > 1 input rows: each weight row is decoded once into a
// float buffer of K codes and reused for every input row.
func (w *AffineWeight) matMat(y, x, xs []float32, m, lo, hi int) {
	wpr := w.K * w.Bits / 32
	gpr := w.K / w.GroupSize
	q := make([]uint32, w.K)
	qf := make([]float32, w.K)
	for n := lo; n < hi; n++ {
		unpackRow(q, w.Codes[n*wpr:(n+1)*wpr], w.K, w.Bits)
		for i, c := range q {
			qf[i] = float32(c)
		}
		sc := w.Scales[n*gpr : (n+1)*gpr]
		bs := w.Biases[n*gpr : (n+1)*gpr]
		for r := range m {
			xr := x[r*w.K : (r+1)*w.K]
			xsr := xs[r*gpr : (r+1)*gpr]
			var acc float32
			for g := range gpr {
				d := dotF32(qf[g*w.GroupSize:(g+1)*w.GroupSize], xr[g*w.GroupSize:(g+1)*w.GroupSize])
				acc += sc[g]*d + bs[g]*xsr[g]
			}
			y[r*w.N+n] = acc
		}
	}
}
