package gguf

import (
	"testing"
)

// BenchmarkDequantize decodes 64 Ki values of each quantized type
// (throughput counts the float32 output).
func BenchmarkDequantize(b *testing.B) {
	const n = 1 << 16
	for _, t := range []Type{Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2K, Q3K, Q4K, Q5K, Q6K, IQ4NL, MXFP4} {
		src := make([]byte, n/t.BlockSize()*t.BlockBytes())
		for i := range src {
			src[i] = byte(i*131 + i>>7)
		}
		dst := make([]float32, n)
		b.Run(t.String(), func(b *testing.B) {
			b.SetBytes(4 * n)
			for b.Loop() {
				if err := Dequantize(t, src, dst); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
