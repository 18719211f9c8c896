package quant

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/lbrx/lbrx/core"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// mlxPackBytes packs codes the way MLX's CPU quantizer writes them: whole
// uint32 words for 2/4/8 bits, byte packs for 3 bits (8 values in 3
// bytes), 5 bits (8 in 5) and 6 bits (4 in 3), each pack little-endian.
// It is an independent statement of the layout that the continuous bit
// stream of QuantizeRows must equal.
func mlxPackBytes(q []uint32, bits int) []byte {
	var out []byte
	switch bits {
	case 2, 4, 8:
		per := 32 / bits
		for i := 0; i < len(q); i += per {
			var w uint32
			for k := range per {
				w |= q[i+k] << (k * bits)
			}
			out = binary.LittleEndian.AppendUint32(out, w)
		}
	default:
		per, nbytes := 8, bits // 3 and 5 bits: 8 values in `bits` bytes
		if bits == 6 {
			per, nbytes = 4, 3
		}
		for i := 0; i < len(q); i += per {
			var w uint64
			for k := range per {
				w |= uint64(q[i+k]) << (k * bits)
			}
			for b := range nbytes {
				out = append(out, byte(w>>(8*b)))
			}
		}
	}
	return out
}

func wordsBytes(w []uint32) []byte {
	var out []byte
	for _, x := range w {
		out = binary.LittleEndian.AppendUint32(out, x)
	}
	return out
}

func randomWeights(r *rand.Rand, n int) []float32 {
	w := make([]float32, n)
	for i := range w {
		w[i] = float32(r.NormFloat64() * 0.05)
	}
	// Some structure real weights have: an all-zero group, a constant
	// group, an all-negative group, a huge outlier.
	if n >= 4*128 {
		clear(w[:128])
		for i := 128; i < 256; i++ {
			w[i] = 0.125
		}
		for i := 256; i < 384; i++ {
			w[i] = -abs32(w[i]) - 0.01
		}
		w[400] = 3
	}
	return w
}

func TestQuantizeLayoutMatchesMLXPacking(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, bits := range Bits {
		for _, g := range GroupSizes {
			const rows, k = 3, 256
			w := randomWeights(r, rows*k)
			codes := make([]uint32, rows*k*bits/32)
			scales := make([]float32, rows*k/g)
			biases := make([]float32, len(scales))
			require.NoError(t, QuantizeRows(codes, scales, biases, w, k, bits, g))
			// Recompute every code independently and pack as MLX does.
			nBins := float32(int(1)<<bits - 1)
			q := make([]uint32, len(w))
			for i, v := range w {
				s, b := scales[i/g], biases[i/g]
				f := float32(math.RoundToEven(float64((v - b) / s)))
				q[i] = uint32(min(max(f, 0), nBins))
			}
			require.Equal(t, mlxPackBytes(q, bits), wordsBytes(codes), "bits %d group %d", bits, g)
			un := make([]uint32, k)
			for row := range rows {
				unpackRow(un, codes[row*k*bits/32:], k, bits)
				require.Equal(t, q[row*k:(row+1)*k], un)
			}
		}
	}
}

// TestAffineGroupCases checks MLX's documented special cases.
func TestAffineGroupCases(t *testing.T) {
	g := make([]float32, 32)
	s, b := affineGroup(g, 15)
	assert.Equal(t, float32(-1e-7), s, "all-zero group keeps scale -eps")
	assert.Zero(t, b)

	for i := range g {
		g[i] = -0.75
	}
	s, b = affineGroup(g, 15)
	assert.Equal(t, float32(-0.75), b, "constant group: bias is the constant")
	assert.Equal(t, uint32(0), affineCode(-0.75, s, b, 15))

	for i := range g {
		g[i] = float32(i) // w_max=31 wins: negative scale, bias = 31
	}
	s, b = affineGroup(g, 15)
	assert.Equal(t, float32(31)/-15, s)
	assert.Equal(t, float32(31), b)
	assert.Equal(t, uint32(15), affineCode(0, s, b, 15))

	for i := range g {
		g[i] = float32(i) - 40 // w_min=-40 wins: positive scale
	}
	s, b = affineGroup(g, 15)
	q0 := rint32(-40 / (float32(31) / 15))
	assert.Equal(t, float32(-40)/q0, s)
	assert.Equal(t, float32(-40), b)
	assert.Positive(t, s)

	g[3] = float32(math.NaN()) // C++ min/max skip NaN
	s2, b2 := affineGroup(g, 15)
	assert.Equal(t, s, s2)
	assert.Equal(t, b, b2)
	assert.Equal(t, uint32(0), affineCode(g[3], s, b, 15))
}

// TestQuantizeProperties round-trips every bits x group size x dtype and
// checks MLX's error bound: a code inside the range is at most half a
// step away; a code clamped at 0 or 2^bits-1 (the zero-exact rescaling
// can shrink the step so the far edge no longer fits) at most one step.
// Zero stays exactly zero.
func TestQuantizeProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, dt := range []core.DType{core.F32, core.F16, core.BF16} {
		for _, bits := range Bits {
			for _, g := range GroupSizes {
				t.Run(fmt.Sprintf("%v/b%d/g%d", dt, bits, g), func(t *testing.T) {
					const rows, k = 4, 512
					raw := randomWeights(r, rows*k)
					in, err := fromFloat32s(raw, dt, core.Shape{rows, k})
					require.NoError(t, err)
					w, err := float32s(in) // the values actually quantized
					require.NoError(t, err)
					q, err := Quantize(in, bits, g)
					require.NoError(t, err)
					require.Equal(t, core.U32, q.DType())
					require.Equal(t, core.Shape{rows, k * bits / 32}, q.Shape())
					qi := q.Quant()
					require.Equal(t, core.Shape{rows, k}, qi.Shape)
					require.Equal(t, dt, qi.Scales.DType())
					require.Equal(t, dt, qi.Biases.DType())
					require.Equal(t, core.Shape{rows, k / g}, qi.Scales.Shape())

					deq, err := Dequantize(q)
					require.NoError(t, err)
					require.Equal(t, dt, deq.DType())
					require.Equal(t, core.Shape{rows, k}, deq.Shape())
					dv, err := float32s(deq)
					require.NoError(t, err)
					scales, err := float32s(qi.Scales)
					require.NoError(t, err)
					codes, err := uint32s(q)
					require.NoError(t, err)
					nBins := uint32(1)<<bits - 1
					un := make([]uint32, k)
					// Storing the scale and bias in dt and dequantizing in dt
					// add rounding: relative precision of dt times the largest
					// magnitude involved.
					ulp := map[core.DType]float32{core.F32: 0x1p-23, core.F16: 0x1p-10, core.BF16: 0x1p-7}[dt]
					for row := range rows {
						unpackRow(un, codes[row*k*bits/32:], k, bits)
						for j := range k {
							i := row*k + j
							s := abs32(scales[i/g])
							step := s / 2
							if un[j] == 0 || un[j] == nBins {
								step = s
							}
							gmax := float32(0)
							for _, v := range w[(i/g)*g : (i/g+1)*g] {
								gmax = max(gmax, abs32(v))
							}
							tol := step + 4*ulp*(gmax+s*float32(nBins)) + 1e-7
							require.LessOrEqualf(t, abs32(w[i]-dv[i]), tol, "value %d: w=%g deq=%g scale=%g code=%d", i, w[i], dv[i], scales[i/g], un[j])
							if w[i] == 0 {
								require.Zerof(t, dv[i], "zero must stay exactly zero (value %d)", i)
							}
						}
					}
				})
			}
		}
	}
}

func TestQuantizeClampedEdgeNeedsFullStep(t *testing.T) {
	// w_min = -7.5001, w_max = 7.5 with 4 bits: q0 = rint(-7.5001) = -8
	// shrinks the step to 15/16 of the range/15, so w_max no longer fits
	// and is clamped a whole step low. This is MLX's behaviour, kept.
	w := make([]float32, 32)
	w[0], w[1] = -7.5001, 7.5
	q, err := core.FromSlice(w, 1, 32)
	require.NoError(t, err)
	qa, err := Quantize(q.Array(), 4, 32)
	require.NoError(t, err)
	d, err := DequantizeFloat32(qa)
	require.NoError(t, err)
	v, err := d.Values()
	require.NoError(t, err)
	s, err := float32s(qa.Quant().Scales)
	require.NoError(t, err)
	errMax := 7.5 - v[1]
	assert.Greater(t, errMax, abs32(s[0])/2, "more than half a step")
	assert.LessOrEqual(t, errMax, abs32(s[0]), "at most one step")
	assert.Equal(t, float32(0), v[2])
}

func TestQuantizeErrors(t *testing.T) {
	w, err := core.Zeros[float32](2, 64)
	require.NoError(t, err)
	_, err = Quantize(w.Array(), 7, 64)
	require.ErrorContains(t, err, "bits 7")
	_, err = Quantize(w.Array(), 4, 48)
	require.ErrorContains(t, err, "group size 48")
	_, err = Quantize(w.Array(), 4, 128)
	require.ErrorContains(t, err, "multiple of the group size")
	v, err := core.Zeros[float32](64)
	require.NoError(t, err)
	_, err = Quantize(v.Array(), 4, 64)
	require.ErrorContains(t, err, "2 dimensions")
	i, err := core.Zeros[int32](2, 64)
	require.NoError(t, err)
	_, err = Quantize(i.Array(), 4, 64)
	require.ErrorContains(t, err, "dtype")
	_, err = Quantize(nil, 4, 64)
	require.Error(t, err)
	_, err = Dequantize(w.Array())
	require.ErrorContains(t, err, "not quantized")
}

func TestQuantizeTensorHigherRank(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	w := randomWeights(r, 2*3*64)
	wt, err := core.FromSlice(w, 2, 3, 64)
	require.NoError(t, err)
	q, err := QuantizeTensor(wt, 4, 32)
	require.NoError(t, err)
	require.Equal(t, core.Shape{2, 3, 8}, q.Shape())
	require.Equal(t, core.Shape{2, 3, 2}, q.Metadata().Quant.Scales.Shape())
	d, err := Dequantize(q.Array())
	require.NoError(t, err)
	require.Equal(t, core.Shape{2, 3, 64}, d.Shape())
}
