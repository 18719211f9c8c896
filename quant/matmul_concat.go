package quant

import (
	"fmt"

	"github.com/lbrx/lbrx/core"
)

func init() { core.RegisterCPUKernel("quantized_matmul_concat", cpuQuantizedMatMulConcat) }

// cpuQuantizedMatMulConcat computes Out = [x @ W_1^T, x @ W_2^T, ...]
// (columns side by side) for x = Inputs[0] and W_i = Inputs[i].
func cpuQuantizedMatMulConcat(op *core.Op) error {
	if len(op.Inputs) < 2 {
		return fmt.Errorf("quantized_matmul_concat takes x and at least one weight, got %d inputs", len(op.Inputs))
	}
	x := op.Inputs[0]
	ws := make([]Weight, len(op.Inputs)-1)
	total := 0
	for i, a := range op.Inputs[1:] {
		w, err := preparedWeight(a)
		if err != nil {
			return fmt.Errorf("quantized matmul concat: %w", err)
		}
		n, k := w.Dims()
		if x.Rank() != 2 || x.Dim(1) != k {
			return fmt.Errorf("quantized matmul concat: x %v is not [M, %d] (weight %v)", x, k, a)
		}
		ws[i], total = w, total+n
	}
	m := x.Dim(0)
	out := op.Out
	if out.Rank() != 2 || out.Dim(0) != m || out.Dim(1) != total {
		return fmt.Errorf("quantized matmul concat: output %v, want [%d %d]", out, m, total)
	}
	xv, err := float32sRead(x)
	if err != nil {
		return err
	}
	if hs, ok := out.Storage().(core.HostStorage); ok && hs.Writable() && out.DType() == core.F32 && out.IsContiguous() {
		return matMulConcat(hostF32(out), xv, m, ws)
	}
	y, err := core.Empty(core.CPU(), core.F32, core.Shape{m, total})
	if err != nil {
		return err
	}
	if err := matMulConcat(hostF32(y), xv, m, ws); err != nil {
		return err
	}
	if y, err = core.CastOp(y, out.DType()); err != nil {
		return err
	}
	b, err := y.Bytes()
	if err != nil {
		return err
	}
	return core.CPU().CopyFromHost(out.Storage(), out.Offset()*out.DType().Size(), b)
}

// matMulConcat writes y [m, ΣN_i] = [x @ W_1^T, x @ W_2^T, ...]. Block
// weights whose integer kernels read the same input layout share one
// quantization of x, and all their rows run as one parallel job (one
// sync point instead of one per weight); any other weight runs on its
// own and its columns are copied into place.
func matMulConcat(y, x []float32, m int, ws []Weight) error {
	total := 0
	for _, w := range ws {
		n, _ := w.Dims()
		total += n
	}
	if len(y) != m*total {
		return fmt.Errorf("quantized matmul concat: output holds %d values, want %d×%d", len(y), m, total)
	}
	// seg is one weight of the shared job: its integer kernel, packed
	// input and first column in y.
	type seg struct {
		w   *BlockWeight
		ik  *intKernel
		act []byte
		col int
	}
	// Fixed-size backing arrays for the usual few weights (q/k/v,
	// gate/up): a decode step runs this for every layer, and growing
	// slices and a map cost several allocations a call.
	var segArr [maxSpans]seg
	segs := segArr[:0]
	var packedArr [maxSpans]*actBuf
	packed := packedArr[:0]
	defer func() {
		for _, b := range packed {
			actPool.Put(b)
		}
	}()
	// acts is the packed input of each layout met so far (one or two).
	type layoutAct struct {
		l   *actLayout
		act []byte
	}
	var actArr [maxSpans]layoutAct
	acts := actArr[:0]
	col := 0
	for _, pw := range ws {
		n, k := pw.Dims()
		bw, _ := pw.(*BlockWeight)
		ik := shareableKernel(bw, y, x, m)
		if ik != nil && ik.gemm != nil && m >= ik.gemm.from && n > 0 && k > 0 {
			// A batch: the GEMM, into its columns (its own parallel job).
			bw.matMulGEMM(y, total, col, x, m, ik.gemm)
			col += n
			continue
		}
		if ik == nil || n == 0 || k == 0 {
			if err := matMulColumns(y, x, m, total, col, pw); err != nil {
				return err
			}
			col += n
			continue
		}
		var act []byte
		for _, a := range acts {
			if a.l == ik.layout {
				act = a.act
			}
		}
		if act == nil {
			buf := actPool.Get().(*actBuf)
			packed = append(packed, buf)
			nb := k / BlockValues(bw.Scheme)
			stride := ik.packBytes(nb)
			buf.packed = grow(buf.packed, m*stride)
			for r := range m {
				quantizeQ8Row(&buf.row, x[r*k:(r+1)*k])
				ik.pack(buf.packed[r*stride:(r+1)*stride], &buf.row)
			}
			act = buf.packed[:m*stride]
			acts = append(acts, layoutAct{ik.layout, act})
		}
		segs = append(segs, seg{w: bw, ik: ik, act: act, col: col})
		col += n
	}
	if len(segs) == 0 {
		return nil
	}
	rows := 0
	for _, s := range segs {
		rows += s.w.N
	}
	parallelRows(rows, m*rows*segs[0].w.K, func(lo, hi int) {
		// [lo, hi) counts the rows of the weights one after another.
		base := 0
		for _, s := range segs {
			w := s.w
			a, b := max(lo-base, 0), min(hi-base, w.N)
			base += w.N
			if a >= b {
				continue
			}
			bb, nb := BlockBytes(w.Scheme), w.K/BlockValues(w.Scheme)
			rb, stride := nb*bb, s.ik.packBytes(nb)
			if m == 1 {
				s.ik.dot(w.Blocks[a*rb:b*rb], nb, s.act, y[s.col+a:s.col+b])
				continue
			}
			for n0 := a; n0 < b; n0 += rowChunk {
				n1 := min(n0+rowChunk, b)
				r := 0
				if s.ik.dot4 != nil {
					for ; r+4 <= m; r += 4 {
						s.ik.dot4(w.Blocks[n0*rb:n1*rb], n1-n0, nb, s.act[r*stride:], stride, y[r*total+s.col+n0:], total)
					}
				}
				for ; r < m; r++ {
					s.ik.dot(w.Blocks[n0*rb:n1*rb], nb, s.act[r*stride:(r+1)*stride], y[r*total+s.col+n0:r*total+s.col+n1])
				}
			}
		}
	})
	var bws [maxSpans]*BlockWeight
	for i, s := range segs[:min(len(segs), maxSpans)] {
		bws[i] = s.w
	}
	streamNext(bws[:min(len(segs), maxSpans)]...)
	return nil
}

// shareableKernel returns the integer kernel that BlockWeight.MatMul
// would run for bw at batch m, or nil when bw is nil, has none or would
// run another kernel.
func shareableKernel(bw *BlockWeight, y, x []float32, m int) *intKernel {
	if bw == nil || bw.check(y, x, m) != nil {
		return nil
	}
	ik, rk := intKernels[bw.Scheme], rowKernels[bw.Scheme]
	if ik == nil || rk == nil || (m >= rk.panelFrom() && ik.dot4 == nil) {
		return nil
	}
	return ik
}

// matMulColumns writes x @ W^T into the columns [col, col+N) of y
// [m, total].
func matMulColumns(y, x []float32, m, total, col int, w Weight) error {
	n, _ := w.Dims()
	if n == total {
		return w.MatMul(y, x, m)
	}
	part := make([]float32, m*n)
	if err := w.MatMul(part, x, m); err != nil {
		return err
	}
	for r := range m {
		copy(y[r*total+col:r*total+col+n], part[r*n:(r+1)*n])
	}
	return nil
}
