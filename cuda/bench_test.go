package cuda

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
)

// filled returns a device array of dt and shape holding random values in
// [lo, hi): a 1 Mi-element random block is generated on the host and tiled
// over the array, which keeps set-up fast for GiB-sized operands.
func filled(b *testing.B, dev *Device, dt core.DType, shape core.Shape, lo, hi float64, ints bool) *core.Array {
	b.Helper()
	a, err := core.Empty(dev, dt, shape)
	require.NoError(b, err)
	r := rand.New(rand.NewPCG(uint64(shape.NumElements()), uint64(dt)))
	block := encode(dt, random(r, min(1<<20, shape.NumElements()), lo, hi, ints))
	total := shape.NumElements() * dt.Size()
	for off := 0; off < total; off += len(block) {
		require.NoError(b, dev.CopyFromHost(a.Storage(), off, block[:min(len(block), total-off)]))
	}
	return a
}

// filledAffine is a random affine-quantized weight [n, k] on dev (f16
// scales and biases), what the quantized product benchmarks read.
func filledAffine(b *testing.B, dev *Device, n, k, bits, gs int) *core.Array {
	b.Helper()
	q := &core.QuantizationInfo{Scheme: core.SchemeAffine, Bits: bits, GroupSize: gs, Shape: core.Shape{n, k},
		Scales: filled(b, dev, core.F16, core.Shape{n, k / gs}, -0.1, 0.1, false),
		Biases: filled(b, dev, core.F16, core.Shape{n, k / gs}, -1, 1, false)}
	w, err := filled(b, dev, core.U32, core.Shape{n, k * bits / 32}, 0, 1<<32-1, true).WithMetadata(core.Metadata{Quant: q})
	require.NoError(b, err)
	return w
}

// timeOp runs op b.N times after three warm-ups and waits for the GPU, so the
// time is the GPU's throughput with launches queued back to back.
func timeOp(b *testing.B, dev *Device, op *core.Op) {
	b.Helper()
	for range 3 {
		require.NoError(b, dev.Execute(op))
	}
	require.NoError(b, dev.Sync())
	b.ResetTimer()
	for range b.N {
		if err := dev.Execute(op); err != nil {
			b.Fatal(err)
		}
	}
	require.NoError(b, dev.Sync())
	b.StopTimer()
}

// BenchmarkGEMM: 8192^3 matmul through cuBLAS, in TFLOP/s (2*n^3 per
// product). f32 runs in full float32 unless the name says tf32; -cublaslt
// goes through cuBLASLt instead of cublasGemmEx, for comparison.
func BenchmarkGEMM(b *testing.B) {
	dev := gpu(b)
	const n = 8192
	for _, c := range []struct {
		name  string
		dt    core.DType
		tf32  bool
		useLt bool
	}{
		{"f32", core.F32, false, false}, {"f32-tf32", core.F32, true, false}, {"bf16", core.BF16, false, false},
		{"f16", core.F16, false, false}, {"f32-cublaslt", core.F32, false, true}, {"bf16-cublaslt", core.BF16, false, true},
	} {
		b.Run(fmt.Sprintf("%s/%d", c.name, n), func(b *testing.B) {
			x := filled(b, dev, c.dt, core.Shape{n, n}, -1, 1, false)
			y := filled(b, dev, c.dt, core.Shape{n, n}, -1, 1, false)
			out, err := core.Empty(dev, c.dt, core.Shape{n, n})
			require.NoError(b, err)
			dev.SetTF32(c.tf32)
			dev.useLt = c.useLt
			defer func() { dev.SetTF32(false); dev.useLt = false }()
			timeOp(b, dev, &core.Op{Name: "matmul", Inputs: []*core.Array{x, y}, Out: out})
			b.ReportMetric(2*n*n*n*float64(b.N)/b.Elapsed().Seconds()/1e12, "TFLOP/s")
			for _, a := range []*core.Array{x, y, out} {
				a.Storage().(*Storage).Release()
			}
		})
	}
}

// BenchmarkQMV: y = x @ W^T for one activation row with W quantized, in
// GB/s of weight bytes read (codes plus scales and biases, or ggml
// blocks). 16384^2 4-bit is 128 MiB of codes, beyond the 50-60 MB L2.
func BenchmarkQMV(b *testing.B) {
	dev := gpu(b)
	for _, c := range []struct {
		scheme core.Scheme
		bits   int
		n, k   int
		kernel string
		dt     core.DType // activations, scales and biases (BF16 when unset)
	}{
		{core.SchemeAffine, 4, 8192, 8192, "1r8", 0},
		{core.SchemeAffine, 4, 16384, 16384, "1r4", 0},
		{core.SchemeAffine, 4, 16384, 16384, "1r8", 0},
		{core.SchemeAffine, 8, 16384, 16384, "1r4", 0},
		{core.SchemeAffine, 8, 16384, 16384, "1r8", 0},
		{core.SchemeQ4_0, 0, 16384, 16384, "", 0},
		{core.SchemeQ8_0, 0, 16384, 16384, "", 0},
		// The decode shapes of a 1B-parameter Llama (models/llama's
		// BenchmarkDecode), with float32 activations and parameters.
		{core.SchemeAffine, 4, 512, 2048, "", core.F32},
		{core.SchemeAffine, 4, 2048, 2048, "", core.F32},
		{core.SchemeAffine, 4, 8192, 2048, "", core.F32},
		{core.SchemeAffine, 4, 2048, 8192, "", core.F32},
		{core.SchemeAffine, 8, 2048, 2048, "", core.F32},
		{core.SchemeAffine, 8, 8192, 2048, "", core.F32},
		{core.SchemeAffine, 8, 2048, 8192, "", core.F32},
		{core.SchemeAffine, 4, 8192, 2048, "", core.BF16},
	} {
		if c.dt == core.Invalid {
			c.dt = core.BF16
		}
		b.Run(fmt.Sprintf("%s%d/%dx%d/%s/%v", c.scheme, c.bits, c.n, c.k, c.kernel, c.dt), func(b *testing.B) {
			if c.kernel != "" {
				defer func(v map[int]string) { qmvVariant = v }(qmvVariant)
				qmvVariant = map[int]string{c.bits: c.kernel}
			}
			const gs = 64
			var w *core.Array
			q := &core.QuantizationInfo{Scheme: c.scheme, Bits: c.bits, GroupSize: gs, Shape: core.Shape{c.n, c.k}}
			var bytes int
			if c.scheme == core.SchemeAffine {
				w = filled(b, dev, core.U32, core.Shape{c.n, c.k * c.bits / 32}, 0, 1<<32-1, true)
				q.Scales = filled(b, dev, c.dt, core.Shape{c.n, c.k / gs}, -0.1, 0.1, false)
				q.Biases = filled(b, dev, c.dt, core.Shape{c.n, c.k / gs}, -1, 1, false)
				bytes = c.n*c.k*c.bits/8 + 2*c.dt.Size()*c.n*c.k/gs
			} else {
				bs := 34
				if c.scheme == core.SchemeQ4_0 {
					bs = 18
				}
				bytes = c.n * c.k / 32 * bs
				// Blocks whose f16 scale is small and finite: bytes 0x10 0x10.
				w = filled(b, dev, core.U8, core.Shape{c.n, c.k / 32 * bs}, 16, 16, true)
			}
			w, err := w.WithMetadata(core.Metadata{Quant: q})
			require.NoError(b, err)
			x := filled(b, dev, c.dt, core.Shape{1, c.k}, -1, 1, false)
			out, err := core.Empty(dev, c.dt, core.Shape{1, c.n})
			require.NoError(b, err)
			timeOp(b, dev, &core.Op{Name: "quantized_matmul", Inputs: []*core.Array{x, w}, Out: out})
			b.ReportMetric(float64(bytes)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
		})
	}
}

// BenchmarkCopyD2D: a device-to-device copy (cuMemcpyDtoDAsync through the
// copy op), in GB/s counting bytes read plus bytes written, as PyTorch's
// copy bandwidth is usually quoted.
func BenchmarkCopyD2D(b *testing.B) {
	dev := gpu(b)
	for _, mib := range []int{256, 1024} {
		b.Run(fmt.Sprintf("%dMiB", mib), func(b *testing.B) {
			n := mib << 20
			src := filled(b, dev, core.U8, core.Shape{n}, 0, 255, true)
			dst, err := core.Empty(dev, core.U8, core.Shape{n})
			require.NoError(b, err)
			timeOp(b, dev, &core.Op{Name: "copy", Inputs: []*core.Array{src}, Out: dst})
			b.ReportMetric(2*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
			src.Storage().(*Storage).Release()
			dst.Storage().(*Storage).Release()
		})
	}
}

// BenchmarkSmallOp: the host cost of one op that does almost nothing on the
// GPU (adding 1024 floats), queued back to back: what a chain of small ops
// pays per op for validation, the hand-off to the device's thread and the
// launch.
func BenchmarkSmallOp(b *testing.B) {
	dev := gpu(b)
	x := filled(b, dev, core.F32, core.Shape{1024}, -1, 1, false)
	y := filled(b, dev, core.F32, core.Shape{1024}, -1, 1, false)
	out, err := core.Empty(dev, core.F32, core.Shape{1024})
	require.NoError(b, err)
	timeOp(b, dev, &core.Op{Name: "add", Inputs: []*core.Array{x, y}, Out: out})
}

// BenchmarkQMVDecode: the one-row affine products of a decode step of
// the 1B-shaped Llama (bench/cuda: hidden 2048, q/k/v 3072, gate/up
// 16384, down K 8192, vocabulary 32000), f16 activations, scales and
// biases, groups of 32, per kernel (block: the 8-warp qmv_affine 1r8; w1,
// w2, w4: the warp kernels; r<rows>w<warps>: the integer kernels,
// qmvi_affine, in that launch shape). The products are captured in a CUDA graph
// and replayed, so the time is the GPU's per product, launch gaps inside
// a graph included, without the host's per-op cost (timeOp's
// back-to-back Execute is host-bound for products this small). They
// cycle through copies of the weight filling 256 MB, past the 60 MB L2,
// as a step's distinct weights do.
func BenchmarkQMVDecode(b *testing.B) {
	dev := gpu(b)
	const gs = 32
	for _, bits := range []int{4, 8} {
		for _, s := range [][2]int{{3072, 2048}, {2048, 2048}, {16384, 2048}, {2048, 8192}, {32000, 2048}} {
			for _, kernel := range []string{"block", "w1", "w2", "w4", "r1w4", "r2w4", "r4w4", "r1w8", "r2w8", "r4w8"} {
				n, k := s[0], s[1]
				b.Run(fmt.Sprintf("affine%d/%dx%d/%s", bits, n, k, kernel), func(b *testing.B) {
					defer func(s, l int) { qmvWarpRows, qmvWarpRowsLong = s, l }(qmvWarpRows, qmvWarpRowsLong)
					defer func(on, a8 bool, a, g [2]qmviShape) {
						qmviOn, qmviAffine8, qmviAffineShapes, qmviGGMLShapes = on, a8, a, g
					}(qmviOn, qmviAffine8, qmviAffineShapes, qmviGGMLShapes)
					qmvWarpRows, qmvWarpRowsLong = qmvWarpRowsFrom(kernel)
					qmviOn, qmviAffineShapes, qmviGGMLShapes = qmviFrom(kernel)
					qmviAffine8 = true
					if kernel[0] != 'r' {
						qmviOn = false
					}
					bytes := n*k*bits/8 + 2*2*n*k/gs
					copies := (256<<20 + bytes - 1) / bytes
					x := filled(b, dev, core.F16, core.Shape{1, k}, -1, 1, false)
					var ops []*core.Op
					for range copies {
						w := filledAffine(b, dev, n, k, bits, gs)
						out, err := core.Empty(dev, core.F16, core.Shape{1, n})
						require.NoError(b, err)
						ops = append(ops, &core.Op{Name: "quantized_matmul", Inputs: []*core.Array{x, w}, Out: out})
					}
					timeGraph(b, dev, ops)
					b.ReportMetric(float64(bytes)*float64(b.N*len(ops))/b.Elapsed().Seconds()/1e9, "GB/s")
					b.ReportMetric(b.Elapsed().Seconds()*1e6/float64(b.N*len(ops)), "us/op")
				})
			}
		}
	}
}

// BenchmarkQMMPrefill: the affine products of a 512-token prefill of the
// same model (dequantize into f16, then cuBLAS), with the 16-byte
// dequantization kernel and with the one-value one (dequantVector off).
func BenchmarkQMMPrefill(b *testing.B) {
	dev := gpu(b)
	const gs, m = 32, 512
	for _, bits := range []int{4, 8} {
		for _, s := range [][2]int{{3072, 2048}, {8192, 2048}, {2048, 8192}} {
			for _, vec := range []bool{true, false} {
				n, k := s[0], s[1]
				b.Run(fmt.Sprintf("affine%d/%dx%dx%d/vector=%v", bits, m, n, k, vec), func(b *testing.B) {
					defer func(v bool) { dequantVector = v }(dequantVector)
					dequantVector = vec
					w := filledAffine(b, dev, n, k, bits, gs)
					x := filled(b, dev, core.F16, core.Shape{m, k}, -1, 1, false)
					out, err := core.Empty(dev, core.F16, core.Shape{m, n})
					require.NoError(b, err)
					timeOp(b, dev, &core.Op{Name: "quantized_matmul", Inputs: []*core.Array{x, w}, Out: out})
					b.ReportMetric(b.Elapsed().Seconds()*1e6/float64(b.N), "us/op")
					b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e12, "TFLOP/s")
				})
			}
		}
	}
}

// timeGraph captures one execution of each op in a CUDA graph and
// replays it b.N times after a warm-up.
func timeGraph(b *testing.B, dev *Device, ops []*core.Op) {
	b.Helper()
	require.NoError(b, dev.Execute(ops[0])) // compile and load outside the capture
	require.NoError(b, dev.Sync())
	require.NoError(b, dev.BeginGraph())
	var err error
	for _, op := range ops {
		if err = dev.Execute(op); err != nil {
			break
		}
	}
	g, gerr := dev.EndGraph(err == nil)
	require.NoError(b, err)
	require.NoError(b, gerr)
	defer func() { require.NoError(b, g.Close()) }()
	require.NoError(b, g.Launch())
	require.NoError(b, dev.Sync())
	b.ResetTimer()
	for range b.N {
		if err := g.Launch(); err != nil {
			b.Fatal(err)
		}
	}
	require.NoError(b, dev.Sync())
	b.StopTimer()
}
