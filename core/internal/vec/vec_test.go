package vec

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// lengths cross every 16-element vector boundary and the remainder loop.
var lengths = []int{0, 1, 2, 3, 7, 15, 16, 17, 31, 32, 33, 47, 63, 64, 65, 100, 257}

var specials = []float32{0, float32(math.Copysign(0, -1)), 1, -1, float32(math.Inf(1)), float32(math.Inf(-1)),
	float32(math.NaN()), math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32, 1e-40, -1e-40,
	88.5, 88.8, 89.5, -87.5, -103, -104.5, 0.5, 1e-8, 65504, 65520, 1e5, 3.3895e38}

// inputs mixes ordinary values, a wide range, raw bit patterns (denormals,
// NaN payloads, infinities) and hand-picked edge values.
func inputs(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		switch r.IntN(4) {
		case 0:
			s[i] = r.Float32()*20 - 10
		case 1:
			s[i] = r.Float32()*240 - 120
		case 2:
			s[i] = math.Float32frombits(r.Uint32())
		default:
			s[i] = specials[r.IntN(len(specials))]
		}
	}
	return s
}

// ulps is the distance between a and b in representable float32 steps.
func ulps(a, b float32) int64 {
	ord := func(f float32) int64 {
		v := int64(int32(math.Float32bits(f)))
		if v < 0 {
			v = math.MinInt32 - v
		}
		return v
	}
	d := ord(a) - ord(b)
	if d < 0 {
		d = -d
	}
	return d
}

// close reports whether got matches want within maxUlps, or an absolute
// slack for results so small that an intermediate overflowed to Inf.
func closeTo(want, got float32, maxUlps int64, abs float64) bool {
	if math.IsNaN(float64(want)) || math.IsNaN(float64(got)) {
		return math.IsNaN(float64(want)) && math.IsNaN(float64(got))
	}
	return want == got || ulps(want, got) <= maxUlps || math.Abs(float64(want-got)) <= abs
}

// paths runs fn with each instruction set's assembly this CPU has, then
// with the Go references alone.
func paths(t *testing.T, fn func(t *testing.T)) {
	t.Helper()
	saved := active
	defer func() { active = saved }()
	for _, im := range append(impls(), nil) {
		active = im
		name := "go"
		if im != nil {
			name = im.name
		}
		t.Run(name, fn)
	}
}

func testUnary(t *testing.T, name string, f, ref func(dst, src []float32), maxUlps int64, abs float64) {
	paths(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(7, uint64(len(name))))
		for _, n := range lengths {
			src := inputs(r, n)
			want := make([]float32, n)
			got := make([]float32, n+1)
			got[n] = 42
			ref(want, src)
			f(got[:n], src)
			for i := range n {
				require.True(t, closeTo(want[i], got[i], maxUlps, abs), "%s(%g) n=%d i=%d: want %g got %g", name, src[i], n, i, want[i], got[i])
			}
			require.Equal(t, float32(42), got[n], "%s wrote past dst", name)
			// in place
			in := append([]float32(nil), src...)
			f(in, in)
			for i := range n {
				require.True(t, closeTo(want[i], in[i], maxUlps, abs), "%s in place n=%d i=%d", name, n, i)
			}
		}
	})
}

func TestExp(t *testing.T)  { testUnary(t, "Exp", Exp, ExpRef, 2, 0) }
func TestSiLU(t *testing.T) { testUnary(t, "SiLU", SiLU, SiLURef, 4, 1e-36) }

// GELU's float32 argument 2z reaches ~88 before e^(-2z) overflows; one
// rounding of it moves the result by up to 88·2^-24 relative (~90 ulps)
// for very negative x, whose outputs are already below 1e-29.
func TestGELU(t *testing.T) { testUnary(t, "GELU", GELU, GELURef, 256, 1e-36) }

func TestSoftmax(t *testing.T) {
	paths(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(8, 9))
		for _, n := range lengths {
			for _, scale := range []float32{1, 30} {
				src := make([]float32, n)
				for i := range src {
					src[i] = (r.Float32()*2 - 1) * scale
				}
				want := make([]float32, n)
				got := make([]float32, n)
				SoftmaxRef(want, src)
				Softmax(got, src)
				var sum float64
				for i := range n {
					require.InDelta(t, want[i], got[i], 1e-6+4e-6*float64(want[i]), "n=%d i=%d", n, i)
					sum += float64(got[i])
				}
				if n > 0 {
					require.InDelta(t, 1, sum, 1e-5)
				}
			}
		}
		// A NaN anywhere poisons the whole row, as in the reference.
		src := make([]float32, 40)
		src[33] = float32(math.NaN())
		got := make([]float32, 40)
		Softmax(got, src)
		for _, v := range got {
			require.True(t, math.IsNaN(float64(v)))
		}
	})
}

func TestAddMul(t *testing.T) {
	paths(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(10, 11))
		for _, n := range lengths {
			a, b := inputs(r, n), inputs(r, n)
			for _, op := range []struct {
				name   string
				f, ref func(dst, a, b []float32)
			}{{"Add", Add, AddRef}, {"Mul", Mul, MulRef}} {
				want := make([]float32, n)
				got := make([]float32, n)
				op.ref(want, a, b)
				op.f(got, a, b)
				for i := range n {
					require.True(t, closeTo(want[i], got[i], 0, 0), "%s n=%d i=%d: %g %g -> want %g got %g", op.name, n, i, a[i], b[i], want[i], got[i])
				}
			}
		}
	})
}

func TestConversions(t *testing.T) {
	paths(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(12, 13))
		for _, n := range lengths {
			src := inputs(r, n)
			for _, c := range []struct {
				name      string
				to, toRef func([]uint16, []float32)
				from      func([]float32, []uint16)
				fromRef   func([]float32, []uint16)
				nanBits   func(uint16) bool
			}{
				{"f16", F32ToF16, F32ToF16Ref, F16ToF32, F16ToF32Ref, func(h uint16) bool { return h&0x7c00 == 0x7c00 && h&0x3ff != 0 }},
				{"bf16", F32ToBF16, F32ToBF16Ref, BF16ToF32, BF16ToF32Ref, func(h uint16) bool { return h&0x7f80 == 0x7f80 && h&0x7f != 0 }},
			} {
				want := make([]uint16, n)
				got := make([]uint16, n)
				c.toRef(want, src)
				c.to(got, src)
				for i := range n {
					if c.nanBits(want[i]) {
						require.True(t, c.nanBits(got[i]), "%s(%g) i=%d: want NaN got %#04x", c.name, src[i], i, got[i])
						continue
					}
					require.Equal(t, want[i], got[i], "%s(%g) n=%d i=%d", c.name, src[i], n, i)
				}
				bits := make([]uint16, n)
				for i := range bits {
					bits[i] = uint16(r.Uint32())
				}
				wf := make([]float32, n)
				gf := make([]float32, n)
				c.fromRef(wf, bits)
				c.from(gf, bits)
				for i := range n {
					require.True(t, closeTo(wf[i], gf[i], 0, 0), "%s widen %#04x: want %g got %g", c.name, bits[i], wf[i], gf[i])
				}
			}
		}
	})
}

func TestShortDstPanics(t *testing.T) {
	require.PanicsWithValue(t, "vec.Exp: dst has 1 elements, input 2", func() { Exp(make([]float32, 1), make([]float32, 2)) })
	require.PanicsWithValue(t, "vec.Add: dst has 3 elements, input 4", func() { Add(make([]float32, 4), make([]float32, 4), make([]float32, 3)) })
}

func BenchmarkVec(b *testing.B) {
	const n = 1 << 14
	r := rand.New(rand.NewPCG(1, 2))
	src := make([]float32, n)
	for i := range src {
		src[i] = r.Float32()*20 - 10
	}
	dst := make([]float32, n)
	h := make([]uint16, n)
	for _, c := range []struct {
		name string
		f    func()
	}{
		{"Exp", func() { Exp(dst, src) }},
		{"SiLU", func() { SiLU(dst, src) }},
		{"GELU", func() { GELU(dst, src) }},
		{"Softmax", func() { Softmax(dst, src) }},
		{"Add", func() { Add(dst, src, src) }},
		{"F32ToBF16", func() { F32ToBF16(h, src) }},
		{"F16ToF32", func() { F16ToF32(dst, h) }},
	} {
		for _, im := range append(impls(), nil) {
			name := "go"
			if im != nil {
				name = im.name
			}
			b.Run(fmt.Sprintf("%s/%s", c.name, name), func(b *testing.B) {
				saved := active
				active = im
				defer func() { active = saved }()
				for b.Loop() {
					c.f()
				}
				b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gelem/s")
			})
		}
	}
}
