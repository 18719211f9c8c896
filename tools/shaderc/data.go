package main

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/lbrx/lbrx/core"
	"github.com/x448/float16"
)

// encode stores values in a kernel dtype's device layout.
func encode(dt string, v []float32) []byte {
	switch dt {
	case "f16":
		b := make([]byte, 2*len(v))
		for i, x := range v {
			binary.LittleEndian.PutUint16(b[2*i:], float16.Fromfloat32(x).Bits())
		}
		return b
	case "bf16":
		b := make([]byte, 2*len(v))
		for i, x := range v {
			binary.LittleEndian.PutUint16(b[2*i:], core.BFloat16FromFloat32(x).Bits())
		}
		return b
	default:
		b := make([]byte, 4*len(v))
		for i, x := range v {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
		}
		return b
	}
}

// decode reads a kernel dtype's device layout back as float32.
func decode(dt string, b []byte) []float32 {
	size := dtSize(dt)
	v := make([]float32, len(b)/size)
	for i := range v {
		switch dt {
		case "f16":
			v[i] = float16.Frombits(binary.LittleEndian.Uint16(b[2*i:])).Float32()
		case "bf16":
			v[i] = core.BFloat16(binary.LittleEndian.Uint16(b[2*i:])).Float32()
		default:
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
	}
	return v
}

func dtSize(dt string) int {
	if dt == "f32" {
		return 4
	}
	return 2
}

// roundTo rounds v to the nearest value of dt (so references see exactly
// what the kernel reads).
func roundTo(dt string, v []float32) []float32 { return decode(dt, encode(dt, v)) }

// poison is the initial content of output buffers: NaN, so an element the
// kernel never writes cannot pass for a right one.
func poison(dt string, n int) []byte {
	b := make([]byte, n*dtSize(dt))
	for i := range b {
		b[i] = 0xff
	}
	return b
}

func randn(r *rand.Rand, n int, scale float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64() * scale)
	}
	return v
}

func uniform(r *rand.Rand, n int, lo, hi float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(lo + (hi-lo)*r.Float64())
	}
	return v
}

// tolerance of one dtype: relative to the magnitude of what was summed,
// plus an absolute floor.
type tolerance struct{ rel, abs float64 }

func tolFor(dt string) tolerance {
	switch dt {
	case "f16":
		return tolerance{rel: 2e-3, abs: 1e-4}
	case "bf16":
		return tolerance{rel: 1.6e-2, abs: 1e-3}
	default:
		return tolerance{rel: 1e-5, abs: 1e-6}
	}
}

// compare checks got against want; mag[i] is the scale of element i's
// error (|want| for elementwise, sum of |terms| for dot products); nil
// means |want|. NaN must meet NaN, infinities must match exactly.
func compare(got []float32, want []float64, mag []float64, tol tolerance) error {
	if len(got) != len(want) {
		return fmt.Errorf("got %d elements, want %d", len(got), len(want))
	}
	for i, g := range got {
		w := want[i]
		gf := float64(g)
		switch {
		case math.IsNaN(w) || math.IsNaN(gf):
			if math.IsNaN(w) != math.IsNaN(gf) {
				return fmt.Errorf("element %d: got %v, want %v", i, g, w)
			}
			continue
		case math.IsInf(w, 0) || math.IsInf(gf, 0):
			if w != gf {
				return fmt.Errorf("element %d: got %v, want %v", i, g, w)
			}
			continue
		}
		m := math.Abs(w)
		if mag != nil {
			m = mag[i]
		}
		if d := math.Abs(gf - w); d > tol.rel*m+tol.abs {
			return fmt.Errorf("element %d: got %v, want %v (error %.3g > %.3g)", i, g, w, d, tol.rel*m+tol.abs)
		}
	}
	return nil
}
