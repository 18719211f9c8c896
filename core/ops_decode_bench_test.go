package core

import (
	"math/rand/v2"
	"testing"
)

// The decode step's small ops on a 1B Llama's shapes (hidden 2048, 32
// query and 8 key heads of 64): the fused or single-pass op against the
// ops it replaces on the CPU, to time what each saves per call.

func BenchmarkDecodeAddNorm(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	x := benchArray(b, randValues[float32](r, 2048, -3, 3), 1, 2048)
	res := benchArray(b, randValues[float32](r, 2048, -3, 3), 1, 2048)
	w := benchArray(b, randValues[float32](r, 2048, 0.5, 1.5), 2048)
	b.Run("add+rms_norm", func(b *testing.B) {
		for range b.N {
			s, err := BinaryOp("add", x, res)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := RMSNormOp(s, w, 1e-5); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("add_rms_norm", func(b *testing.B) {
		for range b.N {
			if _, _, err := AddRMSNormOp(x, res, w, 1e-5); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkDecodeRoPEGGML(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	x := benchArray(b, randValues[float32](r, 32*64, -3, 3), 1, 32, 64)
	ct := benchArray(b, randValues[float32](r, 32, -1, 1), 1, 32)
	st := benchArray(b, randValues[float32](r, 32, -1, 1), 1, 32)
	b.Run("reorder+rope", func(b *testing.B) {
		for range b.N {
			v, err := x.Reshape(1, 32, 32, 2)
			if err == nil {
				v, err = v.Permute(0, 1, 3, 2)
			}
			if err == nil {
				v, err = v.Contiguous()
			}
			if err == nil {
				v, err = v.Reshape(1, 32, 64)
			}
			if err == nil {
				_, err = RoPEOp(v, ct, st)
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("rope_ggml", func(b *testing.B) {
		for range b.N {
			if _, err := RoPEGGMLOp(x, ct, st); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func benchArray(b *testing.B, vals []float32, shape ...int) *Array {
	b.Helper()
	t, err := FromSlice(vals, shape...)
	if err != nil {
		b.Fatal(err)
	}
	return t.Array()
}
