package cuda

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/x448/float16"

	"github.com/lbrx/lbrx/core"
)

// affineWeight makes random MLX affine codes [n, k*bits/32] with scales and
// biases [n, k/gs] of dtype sdt on dev, and returns them with the dense
// values they stand for (FORMATS.md section 2: w = scale*q + bias).
func affineWeight(tb testing.TB, r *rand.Rand, dev *Device, n, k, bits, gs int, sdt core.DType) (*core.Array, []float64) {
	tb.Helper()
	words := n * k * bits / 32
	codes := make([]float64, words)
	for i := range codes {
		codes[i] = float64(r.Uint32())
	}
	groups := n * k / gs
	scales := round(sdt, random(r, groups, -0.1, 0.1, false))
	biases := round(sdt, random(r, groups, -1, 1, false))
	raw := encode(core.U32, codes)
	dense := make([]float64, n*k)
	rowBytes := k * bits / 8
	for row := range n {
		for col := range k {
			bit := col * bits
			var w uint64
			for b := range 8 { // little-endian bit stream along the row
				if i := row*rowBytes + bit/8 + b; i < (row+1)*rowBytes {
					w |= uint64(raw[i]) << (8 * b)
				}
			}
			q := (w >> (bit % 8)) & (1<<bits - 1)
			g := row*(k/gs) + col/gs
			dense[row*k+col] = scales[g]*float64(q) + biases[g]
		}
	}
	wa := hostArray(tb, core.U32, core.Shape{n, k * bits / 32}, codes)
	sa := hostArray(tb, sdt, core.Shape{n, k / gs}, scales)
	ba := hostArray(tb, sdt, core.Shape{n, k / gs}, biases)
	wa, err := wa.WithMetadata(core.Metadata{Name: "w", Quant: &core.QuantizationInfo{
		Scheme: core.SchemeAffine, Bits: bits, GroupSize: gs, Shape: core.Shape{n, k}, Scales: sa, Biases: ba,
	}})
	require.NoError(tb, err)
	d, err := wa.To(dev)
	require.NoError(tb, err)
	return d, dense
}

// ggmlWeight makes random Q8_0 or Q4_0 blocks for [n, k] (FORMATS.md
// section 3) and the dense values.
func ggmlWeight(tb testing.TB, r *rand.Rand, dev *Device, n, k int, scheme core.Scheme) (*core.Array, []float64) {
	tb.Helper()
	bs := 34
	if scheme == core.SchemeQ4_0 {
		bs = 18
	}
	raw := make([]byte, n*k/32*bs)
	dense := make([]float64, n*k)
	for blk := range n * k / 32 {
		p := raw[blk*bs:]
		d := float16.Fromfloat32(float32(0.001 + r.Float64()*0.05))
		binary.LittleEndian.PutUint16(p, d.Bits())
		for j := 2; j < bs; j++ {
			p[j] = byte(r.Uint32())
		}
		df := float64(d.Float32())
		for j := range 32 {
			var q float64
			if scheme == core.SchemeQ4_0 {
				b := p[2+j%16]
				if j < 16 {
					q = float64(int(b&15) - 8)
				} else {
					q = float64(int(b>>4) - 8)
				}
			} else {
				q = float64(int8(p[2+j]))
			}
			dense[blk*32+j] = df * q
		}
	}
	a, err := core.NewArray(core.U8, core.Shape{n, k / 32 * bs}, core.NewHeap(len(raw)), 0)
	require.NoError(tb, err)
	copy(a.Storage().(*core.Heap).Bytes(), raw)
	a, err = a.WithMetadata(core.Metadata{Name: "w", Quant: &core.QuantizationInfo{Scheme: scheme, Shape: core.Shape{n, k}}})
	require.NoError(tb, err)
	d, err := a.To(dev)
	require.NoError(tb, err)
	return d, dense
}

func TestQuantizedMatmulParity(t *testing.T) {
	dev := gpu(t)
	floatQMV(t) // the float one-row kernels; qmvi_test.go checks the integer ones
	r := rand.New(rand.NewPCG(15, 16))
	type qcase struct {
		scheme   core.Scheme
		bits, gs int
		m, n, k  int
		xt, sdt  core.DType
	}
	var cases []qcase
	for _, bits := range []int{4, 8} {
		for _, gs := range []int{32, 64, 128} {
			for _, m := range []int{1, 3, 9, 40} {
				cases = append(cases, qcase{core.SchemeAffine, bits, gs, m, 37, 256, core.F32, core.F32})
			}
		}
		for _, xt := range []core.DType{core.F16, core.BF16} {
			cases = append(cases, qcase{core.SchemeAffine, bits, 64, 1, 1, 128, xt, xt}, qcase{core.SchemeAffine, bits, 64, 2, 130, 512, xt, core.F32})
		}
	}
	for _, bits := range []int{4, 8} {
		// One row: K past two chunks a lane (the warp kernels' unrolled
		// loop and its tail), a partial last warp, one output; more rows:
		// the 16-byte dequantization into f16/bf16 before cuBLAS; groups
		// of 16 (a 4-bit chunk spans two: the one-value kernels).
		cases = append(cases,
			qcase{core.SchemeAffine, bits, 32, 1, 5, 2080, core.F16, core.F16},
			qcase{core.SchemeAffine, bits, 128, 1, 1, 4096, core.BF16, core.BF16},
			qcase{core.SchemeAffine, bits, 32, 40, 21, 2080, core.F16, core.F16},
			qcase{core.SchemeAffine, bits, 64, 33, 9, 512, core.BF16, core.F32},
			qcase{core.SchemeAffine, bits, 16, 1, 3, 64, core.F32, core.F16},
			qcase{core.SchemeAffine, bits, 16, 40, 3, 64, core.F16, core.F16})
	}
	for _, bits := range []int{2, 3, 6} { // dequantize + cuBLAS path
		cases = append(cases, qcase{core.SchemeAffine, bits, 32, 2, 19, 96, core.F32, core.BF16})
	}
	for _, s := range []core.Scheme{core.SchemeQ8_0, core.SchemeQ4_0} {
		for _, m := range []int{1, 5, 33} {
			cases = append(cases, qcase{s, 0, 32, m, 41, 160, core.F32, core.F32}, qcase{s, 0, 32, m, 7, 64, core.BF16, core.F32})
		}
	}
	for ci, c := range cases {
		t.Run(fmt.Sprintf("%s%d/g%d/m%d/n%d/k%d/%v/%v#%d", c.scheme, c.bits, c.gs, c.m, c.n, c.k, c.xt, c.sdt, ci), func(t *testing.T) {
			var w *core.Array
			var dense []float64
			if c.scheme == core.SchemeAffine {
				w, dense = affineWeight(t, r, dev, c.n, c.k, c.bits, c.gs, c.sdt)
			} else {
				w, dense = ggmlWeight(t, r, dev, c.n, c.k, c.scheme)
			}
			_, dx, vx := prepare(t, dev, c.xt, input{core.Shape{c.m, c.k}, ident}, random(r, c.m*c.k, -1, 1, false))
			want, scale := denseProduct(vx, dense, c.m, c.n, c.k)
			want = round(c.xt, want)
			// The one-row kernel comes in several variants (block
			// kernels, warp kernels of 1, 2 or 4 rows, loading weights
			// before or after waiting for the kernel before); check each.
			defaults, warpRows, warpLong, early := qmvVariant, qmvWarpRows, qmvWarpRowsLong, qmvEarly
			for vi := range 8 {
				wr := []int{0, 1, 2, 4}[vi%4]
				qmvWarpRows, qmvWarpRowsLong, qmvEarly = wr, wr, vi >= 4
				for v := range qmvVariantRows {
					qmvVariant = map[int]string{4: v, 8: v}
					// runOn executes on the device: no CPU fallback.
					got := runOn(t, dev, "quantized_matmul", c.xt, core.Shape{c.m, c.n}, nil, 0, dx, w)
					// Rounding grows with k times the largest product term;
					// f32 products of many rows round as their qgemm mode.
					near(t, qgemmRounding(c.xt, c.m), want, got, scale*float64(c.k), fmt.Sprintf("quantized_matmul (kernel %s, warp rows %d, early %v)", v, wr, qmvEarly))
				}
			}
			qmvVariant, qmvWarpRows, qmvWarpRowsLong, qmvEarly = defaults, warpRows, warpLong, early
		})
	}
}

// denseProduct is the float64 reference of a quantized product: x [m, k]
// times the dequantized weight [n, k] transposed, and the largest |x·w|
// term, which scales the tolerance.
func denseProduct(vx, dense []float64, m, n, k int) (want []float64, scale float64) {
	want = make([]float64, m*n)
	for i := range m {
		for j := range n {
			s := 0.0
			for l := range k {
				s += vx[i*k+l] * dense[j*k+l]
				scale = max(scale, abs(vx[i*k+l]*dense[j*k+l]))
			}
			want[i*n+j] = s
		}
	}
	return want, scale
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func TestQuantizedMatmulRejectsBadShapes(t *testing.T) {
	dev := gpu(t)
	r := rand.New(rand.NewPCG(17, 18))
	w, _ := affineWeight(t, r, dev, 4, 64, 4, 32, core.F32)
	_, dx, _ := prepare(t, dev, core.F32, input{core.Shape{1, 32}, ident}, random(r, 32, -1, 1, false))
	out, err := core.Empty(dev, core.F32, core.Shape{1, 4})
	require.NoError(t, err)
	err = dev.Execute(&core.Op{Name: "quantized_matmul", Inputs: []*core.Array{dx, w}, Out: out})
	require.ErrorContains(t, err, "do not fit")
}
