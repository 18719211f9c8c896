package quant

import (
	"math/rand/v2"
	"testing"

	"github.com/lbrx/lbrx/core"
	"github.com/stretchr/testify/require"
)

// The reference point for every throughput below: copying the same bytes.

func BenchmarkMemcpy16MiB(b *testing.B) {
	src := make([]byte, 16<<20)
	dst := make([]byte, len(src))
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		copy(dst, src)
	}
}

func BenchmarkMemcpy8MiB(b *testing.B) {
	src := make([]byte, 8<<20)
	dst := make([]byte, len(src))
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		copy(dst, src)
	}
}

func benchWeights(n int) []float32 {
	return randomWeights(rand.New(rand.NewPCG(1, 1)), n)
}

func BenchmarkF32ToF16(b *testing.B) {
	src := benchWeights(4 << 20)
	dst := make([]core.Float16, len(src))
	b.SetBytes(int64(4 * len(src)))
	for b.Loop() {
		F32ToF16(dst, src)
	}
}

func BenchmarkF16ToF32(b *testing.B) {
	src := make([]core.Float16, 4<<20)
	F32ToF16(src, benchWeights(len(src)))
	dst := make([]float32, len(src))
	b.SetBytes(int64(2 * len(src)))
	for b.Loop() {
		F16ToF32(dst, src)
	}
}

func BenchmarkF32ToBF16(b *testing.B) {
	src := benchWeights(4 << 20)
	dst := make([]core.BFloat16, len(src))
	b.SetBytes(int64(4 * len(src)))
	for b.Loop() {
		F32ToBF16(dst, src)
	}
}

// BenchmarkQuantize4Bit reports GB/s of float32 input.
func BenchmarkQuantize4Bit(b *testing.B) {
	const rows, k = 1024, 4096
	w := benchWeights(rows * k)
	codes := make([]uint32, rows*k*4/32)
	scales := make([]float32, rows*k/64)
	biases := make([]float32, len(scales))
	b.SetBytes(int64(4 * len(w)))
	for b.Loop() {
		if err := QuantizeRows(codes, scales, biases, w, k, 4, 64); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkQuantize8Bit(b *testing.B) {
	const rows, k = 1024, 4096
	w := benchWeights(rows * k)
	codes := make([]uint32, rows*k*8/32)
	scales := make([]float32, rows*k/64)
	biases := make([]float32, len(scales))
	b.SetBytes(int64(4 * len(w)))
	for b.Loop() {
		if err := QuantizeRows(codes, scales, biases, w, k, 8, 64); err != nil {
			b.Fatal(err)
		}
	}
}

// benchMatVec runs a 4096x4096 matrix-vector product and reports GB/s of
// weight bytes read (codes plus scales and biases).
func benchMatVec(b *testing.B, w Weight, weightBytes int) {
	n, k := w.Dims()
	x := benchWeights(k)
	y := make([]float32, n)
	b.SetBytes(int64(weightBytes))
	for b.Loop() {
		if err := w.MatMul(y, x, 1); err != nil {
			b.Fatal(err)
		}
	}
}

func affineBenchWeight(b *testing.B, bits int) (*AffineWeight, int) {
	const n, k, g = 4096, 4096, 64
	wt, err := core.FromSlice(benchWeights(n*k), n, k)
	require.NoError(b, err)
	q, err := Quantize(wt.Array(), bits, g)
	require.NoError(b, err)
	pw, err := Prepare(q)
	require.NoError(b, err)
	aw := pw.(*AffineWeight)
	return aw, 4*len(aw.Codes) + 2*2*len(aw.Scales) // scales and biases as bf16/f16 on disk
}

func BenchmarkMatVec4Bit4096(b *testing.B) {
	w, nb := affineBenchWeight(b, 4)
	benchMatVec(b, w, nb)
}

func BenchmarkMatVec8Bit4096(b *testing.B) {
	w, nb := affineBenchWeight(b, 8)
	benchMatVec(b, w, nb)
}

// BenchmarkMatVecQ4_0 reports GB/s of the GGUF Q4_0 bytes (18 per 32
// values) for the weight repacked to 4-bit affine (BlocksToAffine).
func BenchmarkMatVecQ4_0(b *testing.B) {
	q, raw := q40BenchWeight(b)
	aff, err := BlocksToAffine(q, core.F32)
	require.NoError(b, err)
	pw, err := Prepare(aff)
	require.NoError(b, err)
	benchMatVec(b, pw, raw)
}

// BenchmarkMatVecQ4_0Blocks multiplies the raw blocks in place.
func BenchmarkMatVecQ4_0Blocks(b *testing.B) {
	q, raw := q40BenchWeight(b)
	bytes, err := q.Bytes()
	require.NoError(b, err)
	benchMatVec(b, &BlockWeight{Scheme: core.SchemeQ4_0, N: 4096, K: 4096, Blocks: bytes}, raw)
}

func q40BenchWeight(b *testing.B) (*core.Array, int) {
	wt, err := core.FromSlice(benchWeights(4096*4096), 4096, 4096)
	require.NoError(b, err)
	q, err := QuantizeBlocks(wt.Array(), core.SchemeQ4_0)
	require.NoError(b, err)
	n := q.NumElements()
	return q, n
}

// BenchmarkMatMul4BitBatch8 multiplies 8 input rows; GB/s counts the
// weight bytes once per call.
func BenchmarkMatMul4BitBatch8(b *testing.B) {
	w, nb := affineBenchWeight(b, 4)
	x := benchWeights(8 * w.K)
	y := make([]float32, 8*w.N)
	b.SetBytes(int64(nb))
	for b.Loop() {
		if err := w.MatMul(y, x, 8); err != nil {
			b.Fatal(err)
		}
	}
}
