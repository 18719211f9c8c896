package quant

import (
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/lbrx/lbrx/core"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/x448/float16"
)

func TestF16SpecialFixture(t *testing.T) {
	src := readRefF32(t, "f16_special.src.f32")
	want := readRefU16(t, "f16_special.bin")
	require.Len(t, want, len(src))
	got := make([]uint16, len(src))
	F32ToF16Bits(got, src)
	for i := range src {
		assert.Equalf(t, want[i], got[i], "value %d (%#08x)", i, math.Float32bits(src[i]))
	}
	// ggml's own widening of the stored values is the .f32 reference.
	ref := readRefF32(t, "f16_special.f32")
	back := make([]float32, len(got))
	F16BitsToF32(back, got)
	for i := range back {
		assert.Equalf(t, math.Float32bits(ref[i]), math.Float32bits(back[i]), "value %d", i)
	}
}

func TestBF16SpecialFixture(t *testing.T) {
	src := readRefF32(t, "bf16_special.src.f32")
	want := readRefU16(t, "bf16_special.bin")
	require.Len(t, want, len(src))
	got := make([]core.BFloat16, len(src))
	F32ToBF16(got, src)
	for i := range src {
		assert.Equalf(t, want[i], uint16(got[i]), "value %d (%#08x)", i, math.Float32bits(src[i]))
	}
	ref := readRefF32(t, "bf16_special.f32")
	back := make([]float32, len(got))
	BF16ToF32(back, got)
	for i := range back {
		assert.Equalf(t, math.Float32bits(ref[i]), math.Float32bits(back[i]), "value %d", i)
	}
}

// allPatterns returns the 65536 16-bit patterns.
func allPatterns() []uint16 {
	p := make([]uint16, 1<<16)
	for i := range p {
		p[i] = uint16(i)
	}
	return p
}

func TestF16ExhaustiveWidenAndNarrow(t *testing.T) {
	pat := allPatterns()
	h := unsafe.Slice((*core.Float16)(unsafe.SliceData(pat)), len(pat))
	wide := make([]float32, len(h))
	F16ToF32(wide, h)
	narrow := make([]core.Float16, len(h))
	F32ToF16(narrow, wide)
	bf := make([]core.BFloat16, len(h))
	F16ToBF16(bf, h)
	for i, x := range h {
		w := float16.Frombits(uint16(x)).Float32()
		require.Equalf(t, math.Float32bits(w), math.Float32bits(wide[i]), "widen %#04x", i)
		require.Equalf(t, float16.Fromfloat32(w).Bits(), narrow[i].Bits(), "narrow %#04x", i)
		require.Equalf(t, core.BFloat16FromFloat32(w), bf[i], "f16->bf16 %#04x", i)
	}
	// Midpoints between neighbouring f16 values and their neighbours probe
	// every rounding decision, including into and out of the subnormals
	// and the overflow to infinity.
	var probes []float32
	for i := range 0x7c00 {
		lo := float64(float16.Frombits(uint16(i)).Float32())
		hi := float64(float16.Frombits(uint16(i + 1)).Float32())
		if i+1 == 0x7c00 {
			hi = 65536 // the next value past the largest finite f16
		}
		mid := float32((lo + hi) / 2)
		m := math.Float32bits(mid)
		probes = append(probes, mid, math.Float32frombits(m-1), math.Float32frombits(m+1), -mid)
	}
	out := make([]core.Float16, len(probes))
	F32ToF16(out, probes)
	for i, p := range probes {
		require.Equalf(t, float16.Fromfloat32(p).Bits(), out[i].Bits(), "narrow %g (%#08x)", p, math.Float32bits(p))
	}
}

func TestBF16ExhaustiveWidenAndNarrow(t *testing.T) {
	pat := allPatterns()
	b := unsafe.Slice((*core.BFloat16)(unsafe.SliceData(pat)), len(pat))
	wide := make([]float32, len(b))
	BF16ToF32(wide, b)
	narrow := make([]core.BFloat16, len(b))
	F32ToBF16(narrow, wide)
	h := make([]core.Float16, len(b))
	BF16ToF16(h, b)
	for i, x := range b {
		w := math.Float32frombits(uint32(x) << 16)
		require.Equalf(t, math.Float32bits(w), math.Float32bits(wide[i]), "widen %#04x", i)
		require.Equalf(t, core.BFloat16FromFloat32(w), narrow[i], "narrow %#04x", i)
		require.Equalf(t, float16.Fromfloat32(w).Bits(), h[i].Bits(), "bf16->f16 %#04x", i)
		if w == w { // every non-NaN bf16 survives the round trip bit for bit
			require.Equalf(t, x, narrow[i], "round trip %#04x", i)
		}
	}
}

func TestF32ToF16RandomBits(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	src := make([]float32, 1<<18)
	for i := range src {
		src[i] = math.Float32frombits(r.Uint32())
	}
	dst := make([]core.Float16, len(src))
	F32ToF16(dst, src)
	for i, f := range src {
		require.Equalf(t, float16.Fromfloat32(f).Bits(), dst[i].Bits(), "%#08x", math.Float32bits(f))
	}
}

func TestConvertEmptyAndTail(t *testing.T) {
	F32ToF16(nil, nil)
	F16ToF32(nil, nil)
	F32ToBF16(nil, nil)
	BF16ToF32(nil, nil)
	dst := make([]core.Float16, 3)
	F32ToF16(dst[:1], []float32{1.5})
	assert.Equal(t, float16.Fromfloat32(1.5), dst[0])
	assert.Zero(t, dst[1])
}

// TestConvertTails runs lengths around the 16-value blocks of the
// hardware path so that every split between it and the Go tail is hit.
func TestConvertTails(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, n := range []int{0, 1, 2, 15, 16, 17, 31, 32, 33, 47, 100} {
		src := make([]float32, n)
		for i := range src {
			src[i] = math.Float32frombits(r.Uint32())
		}
		h := make([]core.Float16, n+1) // one spare value must stay untouched
		h[n] = 0x1234
		F32ToF16(h[:n], src)
		require.Equal(t, core.Float16(0x1234), h[n])
		back := make([]float32, n+1)
		back[n] = 42
		F16ToF32(back[:n], h[:n])
		require.Equal(t, float32(42), back[n])
		for i, f := range src {
			want := float16.Fromfloat32(f)
			require.Equalf(t, want.Bits(), h[i].Bits(), "n=%d i=%d", n, i)
			require.Equalf(t, math.Float32bits(want.Float32()), math.Float32bits(back[i]), "n=%d i=%d", n, i)
		}
	}
}

// TestBF16RandomBitsAndTails checks rounding (the exhaustive test only
// meets exact values) on random f32 patterns, NaN payloads included, at
// lengths around the vector width.
func TestBF16RandomBitsAndTails(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, 1 << 18} {
		src := make([]float32, n)
		for i := range src {
			src[i] = math.Float32frombits(r.Uint32())
			if i%5 == 0 { // ties and near-ties: low 16 bits 0x8000 +-1
				src[i] = math.Float32frombits(r.Uint32()&^0xffff | 0x7fff + uint32(i%3))
			}
		}
		dst := make([]core.BFloat16, n+1)
		dst[n] = 0x1234
		F32ToBF16(dst[:n], src)
		require.Equal(t, core.BFloat16(0x1234), dst[n])
		back := make([]float32, n+1)
		back[n] = 42
		BF16ToF32(back[:n], dst[:n])
		require.Equal(t, float32(42), back[n])
		for i, f := range src {
			want := core.BFloat16FromFloat32(f)
			require.Equalf(t, want, dst[i], "n=%d i=%d %#08x", n, i, math.Float32bits(f))
			require.Equalf(t, uint32(want)<<16, math.Float32bits(back[i]), "n=%d i=%d", n, i)
		}
	}
}
