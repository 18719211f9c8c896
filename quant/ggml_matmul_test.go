package quant

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
)

// allBlockSchemes lists every ggml scheme lbrx runs in place.
var allBlockSchemes = []core.Scheme{
	core.SchemeQ8_0, core.SchemeQ4_0, core.SchemeQ4_1, core.SchemeQ5_0, core.SchemeQ5_1,
	core.SchemeQ2_K, core.SchemeQ3_K, core.SchemeQ4_K, core.SchemeQ5_K, core.SchemeQ6_K,
	core.SchemeIQ4_NL, core.SchemeF16, core.SchemeBF16,
}

// f16Fields are the byte offsets of each scheme's f16 scale (and min)
// fields; randomBlocks gives them finite values and leaves every other
// byte (codes, packed sub-scales, high bits) uniformly random, so the
// kernels meet every code value.
var f16Fields = map[core.Scheme][]int{
	core.SchemeQ8_0: {0}, core.SchemeQ4_0: {0}, core.SchemeQ4_1: {0, 2}, core.SchemeQ5_0: {0},
	core.SchemeQ5_1: {0, 2}, core.SchemeQ2_K: {80, 82}, core.SchemeQ3_K: {108},
	core.SchemeQ4_K: {0, 2}, core.SchemeQ5_K: {0, 2}, core.SchemeQ6_K: {208}, core.SchemeIQ4_NL: {0},
	core.SchemeF16: {0},
}

// bf16Fields are f16Fields for bf16 values (a BF16 "block" is one value).
var bf16Fields = map[core.Scheme][]int{core.SchemeBF16: {0}}

func randomBlocks(r *rand.Rand, s core.Scheme, nblocks int) []byte {
	bb := BlockBytes(s)
	raw := make([]byte, nblocks*bb)
	for i := range raw {
		raw[i] = byte(r.Uint32())
	}
	for b := range nblocks {
		for _, off := range f16Fields[s] {
			v := float32(math.Ldexp(r.Float64()+0.5, -6-r.IntN(4)))
			if r.IntN(2) == 0 {
				v = -v
			}
			if r.IntN(16) == 0 {
				v = 0
			}
			binary.LittleEndian.PutUint16(raw[b*bb+off:], f32ToF16(v))
		}
		for _, off := range bf16Fields[s] {
			v := float32(r.NormFloat64())
			if r.IntN(16) == 0 {
				v = 0
			}
			binary.LittleEndian.PutUint16(raw[b*bb+off:], uint16(core.BFloat16FromFloat32(v)))
		}
	}
	return raw
}

// blockOffsets returns, per value, the magnitude of the constant term of
// its sub-block when the value is written as scale*q + offset with q the
// unsigned code (Q4_0 -8d, Q6_K -32*d*sc, Q4_K -dmin*m, ...). A kernel
// that sums scale*Σq*x and offset*Σx separately has terms up to
// |w| + 2|offset|, which bounds its rounding error.
func blockOffsets(t *testing.T, s core.Scheme, raw []byte) []float64 {
	t.Helper()
	bb, bv := BlockBytes(s), BlockValues(s)
	out := make([]float64, len(raw)/bb*bv)
	for b := range len(raw) / bb {
		blk := raw[b*bb : (b+1)*bb]
		o := out[b*bv : (b+1)*bv]
		f := func(off int) float64 { return math.Abs(float64(f16At(blk[off:]))) }
		fill := func(lo, n int, v float64) {
			for i := lo; i < lo+n; i++ {
				o[i] = v
			}
		}
		switch s {
		case core.SchemeQ4_0:
			fill(0, 32, 8*f(0))
		case core.SchemeQ5_0:
			fill(0, 32, 16*f(0))
		case core.SchemeQ4_1, core.SchemeQ5_1:
			fill(0, 32, f(2))
		case core.SchemeQ2_K:
			for i := range 16 {
				fill(16*i, 16, f(82)*float64(blk[i]>>4))
			}
		case core.SchemeQ3_K:
			fill(0, 256, 4*32*f(108)) // |sc - 32| <= 32
		case core.SchemeQ4_K, core.SchemeQ5_K:
			for j := range 8 {
				_, m := scaleMin(j, blk[4:16])
				fill(32*j, 32, f(2)*float64(m))
			}
		case core.SchemeQ6_K:
			for i := range 16 {
				fill(16*i, 16, 32*f(208)*math.Abs(float64(int8(blk[192+i]))))
			}
		}
	}
	return out
}

// checkBlockMatMul compares y (m×n) with x @ W^T in float64 over the
// dequantized weights, within the float32 rounding bound of a sum of k
// terms of magnitude |w| + 2|offset| (see blockOffsets).
func checkBlockMatMul(t *testing.T, s core.Scheme, raw []byte, y, x []float32, m, n, k int) {
	t.Helper()
	w := make([]float32, n*k)
	require.NoError(t, DecodeBlocks(s, w, raw))
	off := blockOffsets(t, s, raw)
	gamma := float64(k+BlockValues(s)+16) * 0x1p-24
	for i := range m {
		for j := range n {
			var ref, mag float64
			for c := range k {
				xv := float64(x[i*k+c])
				ref += float64(w[j*k+c]) * xv
				mag += (math.Abs(float64(w[j*k+c])) + 2*off[j*k+c]) * math.Abs(xv)
			}
			got := float64(y[i*n+j])
			qe := actQuantErr(s, m, w[j*k:(j+1)*k], x[i*k:(i+1)*k])
			require.LessOrEqualf(t, math.Abs(got-ref), gamma*mag+qe+1e-30, "%s y[%d,%d] = %g, dequantized matmul %g (m=%d n=%d k=%d)", s, i, j, got, ref, m, n, k)
		}
	}
}

func randomX(r *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	return x
}

// blockShapes hit one block, a few blocks, many blocks, 1 row, odd N and
// N large enough (with K = 4096) that parallelRows splits the rows over
// goroutines with a ragged tail; with m = 1, 2, 5, 17 (row kernels; 17
// runs the panel kernel where the row kernel is Go) and 33 (panel kernel:
// N = 67 is one partial panel, N = 200 with K = 4096 a full panel of 128
// rows and a partial one, N = 300 with K = 8 blocks one of 256 and a
// partial one).
func blockShapes(bv int) []struct{ n, k int } {
	return []struct{ n, k int }{{1, bv}, {3, 2 * bv}, {7, 3 * bv}, {17, 5 * bv}, {5, 4096}, {67, 4096}, {200, 4096}, {300, 8 * bv}}
}

func TestBlockWeightMatMulAllSchemes(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	for _, s := range allBlockSchemes {
		bv := BlockValues(s)
		for _, sh := range blockShapes(bv) {
			raw := randomBlocks(r, s, sh.n*sh.k/bv)
			for _, m := range []int{1, 2, 5, 17, 33} {
				t.Run(fmt.Sprintf("%s/%dx%d/m%d", s, sh.n, sh.k, m), func(t *testing.T) {
					x := randomX(r, m*sh.k)
					y := make([]float32, m*sh.n)
					bw := &BlockWeight{Scheme: s, N: sh.n, K: sh.k, Blocks: raw}
					require.NoError(t, bw.MatMul(y, x, m))
					checkBlockMatMul(t, s, raw, y, x, m, sh.n, sh.k)
				})
			}
		}
	}
}

// TestBlockMatMulThroughArrays runs every scheme through FromBlocks,
// Prepare (in place: no copy of the blocks) and core's quantized_matmul
// op, including an empty batch.
func TestBlockMatMulThroughArrays(t *testing.T) {
	r := rand.New(rand.NewPCG(43, 44))
	for _, s := range allBlockSchemes {
		t.Run(string(s), func(t *testing.T) {
			bv := BlockValues(s)
			n, k := 6, 2*bv
			raw := randomBlocks(r, s, n*k/bv)
			w, err := FromBlocks(raw, s, core.Shape{n, k})
			require.NoError(t, err)
			qi := w.Quant()
			require.Equal(t, bv, qi.GroupSize)
			require.Equal(t, core.Shape{n, k}, qi.Shape)

			pw, err := Prepare(w)
			require.NoError(t, err)
			if !repackable(s) {
				bw, ok := pw.(*BlockWeight)
				require.True(t, ok, "Prepare(%s) = %T", s, pw)
				b, err := w.Bytes()
				require.NoError(t, err)
				require.Same(t, &b[0], &bw.Blocks[0], "Prepare copied the blocks")
			}

			x := randomX(r, 3*k)
			xt, err := core.FromSlice(x, 3, k)
			require.NoError(t, err)
			y, err := core.QuantizedMatMulOp(xt.Array(), w)
			require.NoError(t, err)
			require.Equal(t, core.Shape{3, n}, y.Shape())
			yv, err := float32s(y)
			require.NoError(t, err)
			checkBlockMatMul(t, s, raw, yv, x, 3, n, k)

			// AsBlocks marks existing bytes without copying them.
			u8, err := core.FromSlice(raw, n, k/bv*BlockBytes(s))
			require.NoError(t, err)
			view, err := AsBlocks(u8.Array(), s, core.Shape{n, k})
			require.NoError(t, err)
			vb, err := view.Bytes()
			require.NoError(t, err)
			ub, err := u8.Array().Bytes()
			require.NoError(t, err)
			require.Same(t, &ub[0], &vb[0], "AsBlocks copied the bytes")
			yv2, err := MatMul(xt.Array(), view)
			require.NoError(t, err)
			y2, err := float32s(yv2)
			require.NoError(t, err)
			require.Equal(t, yv, y2)
			_, err = AsBlocks(u8.Array(), s, core.Shape{n, 2 * k})
			require.ErrorContains(t, err, "must be U8")

			x0, err := core.Zeros[float32](0, k)
			require.NoError(t, err)
			y0, err := MatMul(x0.Array(), w)
			require.NoError(t, err)
			require.Equal(t, core.Shape{0, n}, y0.Shape())

			bad, err := core.Zeros[float32](1, k+1)
			require.NoError(t, err)
			_, err = MatMul(bad.Array(), w)
			require.ErrorContains(t, err, fmt.Sprintf("K=%d", k))
		})
	}
}

func TestBlockSchemeSizes(t *testing.T) {
	want := map[core.Scheme][2]int{
		core.SchemeQ8_0: {32, 34}, core.SchemeQ4_0: {32, 18}, core.SchemeQ4_1: {32, 20},
		core.SchemeQ5_0: {32, 22}, core.SchemeQ5_1: {32, 24}, core.SchemeIQ4_NL: {32, 18},
		core.SchemeQ2_K: {256, 84}, core.SchemeQ3_K: {256, 110}, core.SchemeQ4_K: {256, 144},
		core.SchemeQ5_K: {256, 176}, core.SchemeQ6_K: {256, 210},
		core.SchemeF16: {1, 2}, core.SchemeBF16: {1, 2},
	}
	require.Len(t, want, len(allBlockSchemes))
	for s, vb := range want {
		require.Equal(t, vb[0], BlockValues(s), s)
		require.Equal(t, vb[1], BlockBytes(s), s)
	}
	require.Zero(t, BlockBytes(core.SchemeAffine))
	require.Zero(t, BlockValues(core.SchemeAffine))
	_, err := FromBlocks(make([]byte, 144), core.SchemeQ4_K, core.Shape{1, 128})
	require.ErrorContains(t, err, "multiple of 256")
	_, err = FromBlocks(make([]byte, 143), core.SchemeQ4_K, core.Shape{1, 256})
	require.ErrorContains(t, err, "needs 144 bytes")
	bw := &BlockWeight{Scheme: core.SchemeQ6_K, N: 1, K: 128, Blocks: make([]byte, 210)}
	require.ErrorContains(t, bw.MatMul(make([]float32, 1), make([]float32, 128), 1), "multiple of 256")
}
