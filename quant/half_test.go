package quant

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
)

// halfLengths hit every path of the half row kernels: empty, scalar
// tails only, one vector (8 and 16 lanes) with and without a tail, the
// four-vector loops (32 and 64 values per pass) with every remainder
// class, and a long row.
var halfLengths = []int{0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 63, 64, 65, 95, 127, 128, 129, 200, 4099}

// TestHalfRowKernels holds every F16/BF16 row kernel this CPU runs (and
// the Go loop) to the float64 product of the exactly widened weights,
// within (n + 8) units of float32 rounding of Σ|w·x|.
func TestHalfRowKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(61, 62))
	for _, s := range []core.Scheme{core.SchemeF16, core.SchemeBF16} {
		rk := rowKernels[s]
		dots := append([]namedDot{{"go", rk.dot}}, rk.variants...)
		if rk.goDot != nil {
			dots[0].dot = rk.goDot
		}
		for _, n := range halfLengths {
			row := randomBlocks(r, s, n)
			x := randomX(r, n)
			w := make([]float32, n)
			require.NoError(t, DecodeBlocks(s, w, row))
			var ref, mag float64
			for i := range w {
				ref += float64(w[i]) * float64(x[i])
				mag += math.Abs(float64(w[i]) * float64(x[i]))
			}
			tol := float64(n+8)*0x1p-24*mag + 1e-30
			for _, d := range dots {
				got := d.dot(row, x, nil)
				require.LessOrEqualf(t, math.Abs(float64(got)-ref), tol, "%s %s n=%d: %g, want %g", s, d.name, n, got, ref)
				if n == 0 {
					require.Zero(t, got, "%s %s: empty row", s, d.name)
				}
			}
		}
	}
}

// TestHalfBlocks checks that HalfBlocks views the half array's bytes
// without copying (also from an offset into the storage), that the
// quantized matmul through it equals the float32 product of the widened
// weights, and that it rejects what it cannot view.
func TestHalfBlocks(t *testing.T) {
	r := rand.New(rand.NewPCG(63, 64))
	for _, dt := range []core.DType{core.F16, core.BF16} {
		t.Run(dt.String(), func(t *testing.T) {
			n, k := 5, 37
			vals := randomX(r, (n+1)*k)
			full, err := core.FromSlice(vals, n+1, k)
			require.NoError(t, err)
			h, err := core.CastOp(full.Array(), dt)
			require.NoError(t, err)
			h, err = h.Slice(0, 1, n+1, 1) // rows 1..n: a non-zero offset
			require.NoError(t, err)
			hb, err := HalfBlocks(h)
			require.NoError(t, err)
			require.Equal(t, core.Shape{n, k}, hb.Quant().Shape)
			require.Equal(t, core.Shape{n, 2 * k}, hb.Shape())
			hbBytes, err := hb.Bytes()
			require.NoError(t, err)
			hBytes, err := h.Bytes()
			require.NoError(t, err)
			require.Same(t, &hBytes[0], &hbBytes[0], "HalfBlocks copied the weights")

			wide, err := core.CastOp(h, core.F32)
			require.NoError(t, err)
			wT, err := wide.T()
			require.NoError(t, err)
			for _, m := range []int{1, 3, 40} { // row kernels and the panel kernel
				xt, err := core.FromSlice(randomX(r, m*k), m, k)
				require.NoError(t, err)
				y, err := core.QuantizedMatMulOp(xt.Array(), hb)
				require.NoError(t, err)
				want, err := core.MatMulOp(xt.Array(), wT)
				require.NoError(t, err)
				yv, err := float32s(y)
				require.NoError(t, err)
				wv, err := float32s(want)
				require.NoError(t, err)
				require.InDeltaSlice(t, wv, yv, 1e-4, "m=%d", m)
			}
		})
	}
	f32, err := core.Zeros[float32](2, 3)
	require.NoError(t, err)
	_, err = HalfBlocks(f32.Array())
	require.ErrorContains(t, err, "is not F16 or BF16")
	h, err := core.CastOp(f32.Array(), core.F16)
	require.NoError(t, err)
	hT, err := h.T()
	require.NoError(t, err)
	_, err = HalfBlocks(hT)
	require.ErrorContains(t, err, "contiguous")
	hb, err := HalfBlocks(h)
	require.NoError(t, err)
	_, err = HalfBlocks(hb)
	require.ErrorContains(t, err, "U8") // a U8 view is not a half array
	_, err = HalfBlocks(nil)
	require.Error(t, err)
}
