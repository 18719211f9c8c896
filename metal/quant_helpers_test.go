package metal

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/core/gguf"
	"github.com/stretchr/testify/require"
	"github.com/x448/float16"
)

// Quantized weights built in the tests' own code from the layouts in
// docs/FORMATS.md, with their dequantized values for the references.

// affineWeight returns an MLX affine weight [n, k] (U32 codes, scales and
// biases in dt) and its dequantized values (computed from the rounded
// scales and biases, as the kernel sees them).
func affineWeight(t *testing.T, r *rand.Rand, dt core.DType, n, k, bits, gs int) (*core.Array, []float64) {
	t.Helper()
	words := k * bits / 32
	codes := make([]uint32, n*words)
	q := make([]int, n*k)
	for i := range q {
		q[i] = r.IntN(1 << bits)
		row, j := i/k, i%k
		bit := j * bits
		codes[row*words+bit/32] |= uint32(q[i]) << (bit % 32)
	}
	scales := decodeVals(dt, encodeVals(dt, randVals(r, n*k/gs, 0.01, 0.1)))
	biases := decodeVals(dt, encodeVals(dt, randVals(r, n*k/gs, -0.5, 0.5)))
	want := make([]float64, n*k)
	for i := range want {
		g := i/k*(k/gs) + i%k/gs
		want[i] = float64(scales[g])*float64(q[i]) + float64(biases[g])
	}
	cb := make([]byte, 4*len(codes))
	for i, c := range codes {
		binary.LittleEndian.PutUint32(cb[4*i:], c)
	}
	h := core.NewHeap(len(cb))
	copy(h.Bytes(), cb)
	w, err := core.NewArray(core.U32, core.Shape{n, words}, h, 0)
	require.NoError(t, err)
	w, err = w.WithMetadata(core.Metadata{Name: "w", Quant: &core.QuantizationInfo{
		Scheme: core.SchemeAffine, Bits: bits, GroupSize: gs, Shape: core.Shape{n, k},
		Scales: hostArray(t, dt, scales, n, k/gs), Biases: hostArray(t, dt, biases, n, k/gs),
	}})
	require.NoError(t, err)
	return w, want
}

// ggmlWeight returns Q8_0 or Q4_0 blocks for an [n, k] weight and its
// dequantized values.
func ggmlWeight(t *testing.T, r *rand.Rand, s core.Scheme, n, k int) (*core.Array, []float64) {
	t.Helper()
	block := q8BlockBytes
	if s == core.SchemeQ4_0 {
		block = q4BlockBytes
	}
	nb := k / ggmlBlockValues
	raw := make([]byte, n*nb*block)
	want := make([]float64, n*k)
	for row := range n {
		for b := range nb {
			blk := raw[(row*nb+b)*block:]
			d := float16.Fromfloat32(0.01 + 0.05*r.Float32())
			binary.LittleEndian.PutUint16(blk, d.Bits())
			df := float64(d.Float32())
			base := row*k + b*ggmlBlockValues
			for j := range ggmlBlockValues {
				if s == core.SchemeQ8_0 {
					v := int8(r.IntN(256) - 128)
					blk[2+j] = byte(v)
					want[base+j] = df * float64(v)
					continue
				}
				nib := r.IntN(16)
				if j < 16 {
					blk[2+j] |= byte(nib)
				} else {
					blk[2+j-16] |= byte(nib << 4)
				}
				want[base+j] = df * float64(nib-8)
			}
		}
	}
	h := core.NewHeap(len(raw))
	copy(h.Bytes(), raw)
	w, err := core.NewArray(core.U8, core.Shape{n, nb * block}, h, 0)
	require.NoError(t, err)
	w, err = w.WithMetadata(core.Metadata{Quant: &core.QuantizationInfo{Scheme: s, Bits: 8, GroupSize: 32, Shape: core.Shape{n, k}}})
	require.NoError(t, err)
	return w, want
}

// qmatmulRef is x [m,k] times the dequantized W [n,k] transposed, with
// the magnitude sums for nearAcc.
func qmatmulRef(x []float32, w []float64, m, n, k int) (out, mag []float64) {
	out, mag = make([]float64, m*n), make([]float64, m*n)
	for i := range m {
		for j := range n {
			for p := range k {
				v := float64(x[i*k+p]) * w[j*k+p]
				out[i*n+j] += v
				mag[i*n+j] += math.Abs(v)
			}
		}
	}
	return out, mag
}

// ggmlBlockWeight makes n rows of random blocks of scheme s (blocks per
// row) with small finite f16 scales, and the values gguf.Dequantize
// decodes from them.
func ggmlBlockWeight(t *testing.T, r *rand.Rand, s core.Scheme, n, blocks int) (*core.Array, []float64) {
	t.Helper()
	typ, scales, mins := map[core.Scheme]gguf.Type{
		core.SchemeQ4_1: gguf.Q4_1, core.SchemeQ5_0: gguf.Q5_0, core.SchemeQ5_1: gguf.Q5_1, core.SchemeIQ4_NL: gguf.IQ4NL,
		core.SchemeQ2_K: gguf.Q2K, core.SchemeQ3_K: gguf.Q3K, core.SchemeQ4_K: gguf.Q4K, core.SchemeQ5_K: gguf.Q5K, core.SchemeQ6_K: gguf.Q6K,
	}[s], map[core.Scheme]int{core.SchemeQ2_K: 80, core.SchemeQ3_K: 108, core.SchemeQ6_K: 208}[s], map[core.Scheme]int{
		core.SchemeQ4_1: 2, core.SchemeQ5_1: 2, core.SchemeQ2_K: 82, core.SchemeQ4_K: 2, core.SchemeQ5_K: 2,
	}[s]
	bb, k := typ.BlockBytes(), blocks*typ.BlockSize()
	raw := make([]byte, n*blocks*bb)
	for i := range raw {
		raw[i] = byte(r.Uint32())
	}
	for b := 0; b < len(raw); b += bb {
		binary.LittleEndian.PutUint16(raw[b+scales:], float16.Fromfloat32(0.001+0.02*r.Float32()).Bits())
		if mins != 0 {
			binary.LittleEndian.PutUint16(raw[b+mins:], float16.Fromfloat32(0.02*(2*r.Float32()-1)).Bits())
		}
	}
	f := make([]float32, n*k)
	require.NoError(t, gguf.Dequantize(typ, raw, f))
	want := make([]float64, len(f))
	for i, v := range f {
		want[i] = float64(v)
	}
	a, err := core.NewArray(core.U8, core.Shape{n, blocks * bb}, core.NewHeap(len(raw)), 0)
	require.NoError(t, err)
	copy(a.Storage().(*core.Heap).Bytes(), raw)
	a, err = a.WithMetadata(core.Metadata{Name: "w", Quant: &core.QuantizationInfo{Scheme: s, Shape: core.Shape{n, k}}})
	require.NoError(t, err)
	return a, want
}
