package cuda

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/x448/float16"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/core/gguf"
)

// ggmlSchemes maps each scheme to its GGUF type, whose decoder in core/gguf
// (written after ggml's to_float, not shared with the kernels) is the
// reference, and to the offsets of its f16 scale fields: random bytes
// there could be Inf or NaN, so the test writes small finite scales (and
// mins of either sign) and leaves every other byte random.
var ggmlSchemes = []struct {
	scheme core.Scheme
	typ    gguf.Type
	scales []int // offsets of f16 d (positive)
	mins   []int // offsets of f16 m or dmin (either sign)
}{
	{core.SchemeQ4_0, gguf.Q4_0, []int{0}, nil},
	{core.SchemeQ4_1, gguf.Q4_1, []int{0}, []int{2}},
	{core.SchemeQ5_0, gguf.Q5_0, []int{0}, nil},
	{core.SchemeQ5_1, gguf.Q5_1, []int{0}, []int{2}},
	{core.SchemeQ8_0, gguf.Q8_0, []int{0}, nil},
	{core.SchemeIQ4_NL, gguf.IQ4NL, []int{0}, nil},
	{core.SchemeQ2_K, gguf.Q2K, []int{80}, []int{82}},
	{core.SchemeQ3_K, gguf.Q3K, []int{108}, nil},
	{core.SchemeQ4_K, gguf.Q4K, []int{0}, []int{2}},
	{core.SchemeQ5_K, gguf.Q5K, []int{0}, []int{2}},
	{core.SchemeQ6_K, gguf.Q6K, []int{208}, nil},
}

// ggmlBlocks makes n rows of k values of random blocks of type i of
// ggmlSchemes and returns them as a host array with its quantization info,
// and the values gguf.Dequantize decodes from them.
func ggmlBlocks(tb testing.TB, r *rand.Rand, i, n, k int) (*core.Array, []float64) {
	tb.Helper()
	s := ggmlSchemes[i]
	bs, bb := s.typ.BlockSize(), s.typ.BlockBytes()
	raw := make([]byte, n*k/bs*bb)
	for j := range raw {
		raw[j] = byte(r.Uint32())
	}
	for blk := 0; blk < len(raw); blk += bb {
		for _, off := range s.scales {
			binary.LittleEndian.PutUint16(raw[blk+off:], float16.Fromfloat32(float32(0.001+0.02*r.Float64())).Bits())
		}
		for _, off := range s.mins {
			binary.LittleEndian.PutUint16(raw[blk+off:], float16.Fromfloat32(float32(0.02*(r.Float64()*2-1))).Bits())
		}
	}
	f := make([]float32, n*k)
	require.NoError(tb, gguf.Dequantize(s.typ, raw, f))
	dense := make([]float64, len(f))
	for j, v := range f {
		dense[j] = float64(v)
	}
	a, err := core.NewArray(core.U8, core.Shape{n, len(raw) / max(n, 1)}, core.NewHeap(len(raw)), 0)
	require.NoError(tb, err)
	copy(a.Storage().(*core.Heap).Bytes(), raw)
	a, err = a.WithMetadata(core.Metadata{Name: "w", Quant: &core.QuantizationInfo{Scheme: s.scheme, Shape: core.Shape{n, k}}})
	require.NoError(tb, err)
	return a, dense
}

// qmatmulRef is y = x @ W^T in float64 and the largest |x*w| term.
func qmatmulRef(x, w []float64, m, n, k int) ([]float64, float64) {
	y := make([]float64, m*n)
	scale := 0.0
	for i := range m {
		for j := range n {
			s := 0.0
			for l := range k {
				t := x[i*k+l] * w[j*k+l]
				s += t
				scale = max(scale, math.Abs(t))
			}
			y[i*n+j] = s
		}
	}
	return y, scale
}

// fallbackTotal sums core.Fallbacks, which must not move while the GPU
// runs these ops.
func fallbackTotal() int64 {
	var t int64
	for _, v := range core.Fallbacks() {
		t += v
	}
	return t
}

// TestGGMLMatmulParity runs every ggml block type through
// core.QuantizedMatMulOp on the GPU on edge shapes: one block (K = block
// size), many blocks, N = 1 and odd N, M = 1 and M across the
// matrix-vector launch size (8) and the matrix-vector/matrix-matrix
// threshold (32), partial matrix-matrix tiles (64 x 128), M = 0 and N = 0,
// in f32, f16 and bf16, against float64 products of gguf.Dequantize's
// values; no op may fall back to the CPU.
func TestGGMLMatmulParity(t *testing.T) {
	dev := gpu(t)
	floatQMV(t) // the float one-row kernels; qmvi_test.go checks the integer ones
	r := rand.New(rand.NewPCG(25, 26))
	type shape struct{ m, n, blocks int }
	shapes := []shape{
		{1, 1, 1}, {1, 37, 5}, {2, 5, 1}, {3, 19, 3}, {8, 6, 2}, {9, 7, 2}, {32, 3, 2},
		{33, 5, 1}, {70, 130, 3}, {64, 128, 2}, {0, 5, 1}, {4, 0, 1},
	}
	for i, s := range ggmlSchemes {
		qk := s.typ.BlockSize()
		for _, sh := range shapes {
			dts := []core.DType{core.F32}
			if sh.m == 1 || sh.m == 3 || sh.m >= 64 {
				dts = append(dts, core.F16, core.BF16)
			}
			for _, xt := range dts {
				m, n, k := sh.m, sh.n, sh.blocks*qk
				t.Run(fmt.Sprintf("%s/m%d/n%d/k%d/%v", s.scheme, m, n, k, xt), func(t *testing.T) {
					hw, dense := ggmlBlocks(t, r, i, n, k)
					w, err := hw.To(dev)
					require.NoError(t, err)
					_, dx, vx := prepare(t, dev, xt, input{core.Shape{m, k}, ident}, random(r, m*k, -1, 1, false))
					want, scale := qmatmulRef(vx, dense, m, n, k)
					// Q8_0/Q4_0 matrix-vector products can run quant.cu's
					// kernels: check those too.
					// Past gmvMaxRows, the dequantize-then-cuBLAS path
					// and the tiled kernels it replaces (tensor cores for
					// f16/bf16, FMAs).
					type config struct{ tc, q4q8, dq bool }
					configs := []config{{true, false, true}}
					if m > gmvMaxRows {
						configs = append(configs, config{true, false, false})
						if xt != core.F32 {
							configs = append(configs, config{false, false, false})
						}
					}
					if m <= gmvMaxRows && (s.scheme == core.SchemeQ8_0 || s.scheme == core.SchemeQ4_0) {
						configs = append(configs, config{true, true, true})
					}
					// One row: 4, 2 or 1 outputs a warp.
					rows := []int{gmvRows1}
					if m == 1 {
						rows = []int{4, 2, 1}
					}
					for ci := range len(configs) * len(rows) {
						cfg, r1 := configs[ci%len(configs)], rows[ci/len(configs)]
						defaults, defRows := config{gmmTensorCores, q4q8QMV, ggmlDequantGEMM}, gmvRows1
						gmmTensorCores, q4q8QMV, ggmlDequantGEMM, gmvRows1 = cfg.tc, cfg.q4q8, cfg.dq, r1
						before := fallbackTotal()
						y, err := core.QuantizedMatMulOp(dx, w)
						gmmTensorCores, q4q8QMV, ggmlDequantGEMM, gmvRows1 = defaults.tc, defaults.q4q8, defaults.dq, defRows
						require.NoError(t, err)
						require.Equal(t, before, fallbackTotal(), "quantized_matmul fell back to the CPU")
						require.Equal(t, dev.Name(), y.Device().Name())
						require.Equal(t, core.Shape{m, n}, y.Shape())
						// Rounding grows with k times the largest term; the
						// matrix-vector kernels carry codes as 128+q (up to 7
						// more bits), the tensor-core kernel rounds W to x's
						// dtype, and the dequantize-then-cuBLAS path of f32
						// products rounds as its qgemm mode does.
						rt := xt
						if cfg.dq {
							rt = qgemmRounding(xt, m)
						}
						near(t, rt, round(xt, want), values(t, y), 8*scale*float64(k), fmt.Sprintf("quantized_matmul (%+v, %d rows a warp)", cfg, r1))
					}
				})
			}
		}
	}
}

// TestGGMLMatmulUnalignedX: x at an address that is not 16-byte aligned
// (a view one element into a buffer) is copied aside, not misread.
func TestGGMLMatmulUnalignedX(t *testing.T) {
	dev := gpu(t)
	floatQMV(t) // the float one-row kernels; qmvi_test.go checks the integer ones
	r := rand.New(rand.NewPCG(27, 28))
	for _, m := range []int{1, 40} {
		const n, i = 9, 8 // Q4_K
		k := 2 * ggmlSchemes[i].typ.BlockSize()
		hw, dense := ggmlBlocks(t, r, i, n, k)
		w, err := hw.To(dev)
		require.NoError(t, err)
		vals := round(core.F32, random(r, m*k+1, -1, 1, false))
		buf, err := hostArray(t, core.F32, core.Shape{m*k + 1}, vals).To(dev)
		require.NoError(t, err)
		dx, err := core.NewArray(core.F32, core.Shape{m, k}, buf.Storage(), 1)
		require.NoError(t, err)
		want, scale := qmatmulRef(vals[1:], dense, m, n, k)
		got := runOn(t, dev, "quantized_matmul", core.F32, core.Shape{m, n}, nil, 0, dx, w)
		near(t, core.F32, want, got, 8*scale*float64(k), fmt.Sprintf("unaligned x, m=%d", m))
	}
}

// TestGGMLMatmulRejectsBadBlocks: a byte count that is not the shape's
// blocks, or K not a whole number of blocks, is an error naming the rule.
func TestGGMLMatmulRejectsBadBlocks(t *testing.T) {
	dev := gpu(t)
	r := rand.New(rand.NewPCG(29, 30))
	hw, _ := ggmlBlocks(t, r, 6, 2, 256) // Q2_K
	_, dx, _ := prepare(t, dev, core.F32, input{core.Shape{1, 256}, ident}, random(r, 256, -1, 1, false))
	for _, c := range []struct {
		q    core.QuantizationInfo
		want string
	}{
		{core.QuantizationInfo{Scheme: core.SchemeQ2_K, Shape: core.Shape{2, 256 + 32}}, "blocks of 256"},
		{core.QuantizationInfo{Scheme: core.SchemeQ3_K, Shape: core.Shape{2, 256}}, "bytes (U8) of ggml_q3_k blocks"},
	} {
		bad, err := hw.WithMetadata(core.Metadata{Quant: &c.q})
		require.NoError(t, err)
		w, err := bad.To(dev)
		require.NoError(t, err)
		out, err := core.Empty(dev, core.F32, core.Shape{1, 2})
		require.NoError(t, err)
		x := dx
		if k := c.q.Shape[1]; k != 256 {
			x, err = core.Empty(dev, core.F32, core.Shape{1, k})
			require.NoError(t, err)
		}
		err = dev.Execute(&core.Op{Name: "quantized_matmul", Inputs: []*core.Array{x, w}, Out: out})
		require.ErrorContains(t, err, c.want)
	}
}

// BenchmarkGGMLMatVec: one bf16 activation row times a 16384x16384 weight
// (and a 65536x4096 one: K of a 4096-wide model) in each ggml block type,
// in GB/s of block bytes read (compare BenchmarkCopyD2D in the same run).
// Q8_0/Q4_0 run quant.cu's kernels (qmv) and ggml.cu's (gmv).
func BenchmarkGGMLMatVec(b *testing.B) {
	dev := gpu(b)
	for _, nk := range [][2]int{{16384, 16384}, {65536, 4096}} {
		n, k := nk[0], nk[1]
		for _, s := range ggmlSchemes {
			paths := []bool{false}
			if s.scheme == core.SchemeQ8_0 || s.scheme == core.SchemeQ4_0 {
				paths = []bool{true, false}
			}
			for _, legacy := range paths {
				b.Run(fmt.Sprintf("%s/%dx%d/%s", s.scheme, n, k, map[bool]string{true: "qmv", false: "gmv"}[legacy]), func(b *testing.B) {
					defer func(v bool) { q4q8QMV = v }(q4q8QMV)
					q4q8QMV = legacy
					bytes := n * k / s.typ.BlockSize() * s.typ.BlockBytes()
					// Every byte 0x10: f16 scales 0x1010 are small and finite.
					w := filled(b, dev, core.U8, core.Shape{n, bytes / n}, 16, 16, true)
					w, err := w.WithMetadata(core.Metadata{Quant: &core.QuantizationInfo{Scheme: s.scheme, Shape: core.Shape{n, k}}})
					require.NoError(b, err)
					x := filled(b, dev, core.BF16, core.Shape{1, k}, -1, 1, false)
					out, err := core.Empty(dev, core.BF16, core.Shape{1, n})
					require.NoError(b, err)
					timeOp(b, dev, &core.Op{Name: "quantized_matmul", Inputs: []*core.Array{x, w}, Out: out})
					b.ReportMetric(float64(bytes)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
					w.Storage().(*Storage).Release()
				})
			}
		}
	}
}

// BenchmarkGGMLMatMul: 512 bf16 activation rows (a prefill) times a
// 4096x4096 weight, in TFLOP/s (2*M*N*K): dequantized into bf16 then
// cuBLAS (the default), the tensor-core and the FMA tiled kernels, next
// to cuBLAS on the same product with a dense bf16 weight.
func BenchmarkGGMLMatMul(b *testing.B) {
	dev := gpu(b)
	const m, n, k = 512, 4096, 4096
	x := filled(b, dev, core.BF16, core.Shape{m, k}, -1, 1, false)
	out, err := core.Empty(dev, core.BF16, core.Shape{m, n})
	require.NoError(b, err)
	flops := 2 * float64(m) * n * k
	for _, s := range ggmlSchemes {
		b.Run(fmt.Sprintf("%s/%dx%dx%d", s.scheme, m, n, k), func(b *testing.B) {
			bytes := n * k / s.typ.BlockSize() * s.typ.BlockBytes()
			w := filled(b, dev, core.U8, core.Shape{n, bytes / n}, 16, 16, true)
			w, err := w.WithMetadata(core.Metadata{Quant: &core.QuantizationInfo{Scheme: s.scheme, Shape: core.Shape{n, k}}})
			require.NoError(b, err)
			for _, kind := range []string{"dequantize-cublas", "tensor-cores", "fma"} {
				b.Run(kind, func(b *testing.B) {
					defer func(v, dq bool) { gmmTensorCores, ggmlDequantGEMM = v, dq }(gmmTensorCores, ggmlDequantGEMM)
					gmmTensorCores, ggmlDequantGEMM = kind == "tensor-cores", kind == "dequantize-cublas"
					timeOp(b, dev, &core.Op{Name: "quantized_matmul", Inputs: []*core.Array{x, w}, Out: out})
					b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e12, "TFLOP/s")
				})
			}
		})
	}
	b.Run(fmt.Sprintf("cublas-bf16/%dx%dx%d", m, n, k), func(b *testing.B) {
		w := filled(b, dev, core.BF16, core.Shape{k, n}, -1, 1, false)
		timeOp(b, dev, &core.Op{Name: "matmul", Inputs: []*core.Array{x, w}, Out: out})
		b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e12, "TFLOP/s")
	})
}
