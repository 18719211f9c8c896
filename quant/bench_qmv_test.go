package quant

import (
	"math/rand/v2"
	"runtime"
	"testing"
)

// Matrix-vector products with weights far larger than the L3 cache
// (16384x16384: 160 MiB at 4 bits, 288 MiB at 8 bits with float32 scales
// and biases), next to BenchmarkStreamCopy so that one run gives the
// ratio of weight bandwidth to copy bandwidth. BenchmarkQMVvsCopy times
// them alternately in one run at one and two threads; with these b.Loop
// benchmarks -cpu 1,2 measured both entries at one GOMAXPROCS (Go 1.26),
// so use GOMAXPROCS=1 or =2 in the environment for a thread count here.

// BenchmarkStreamCopy copies 512 MiB into another 512 MiB with
// GOMAXPROCS goroutines, counting bytes read plus written as STREAM does.
func BenchmarkStreamCopy(b *testing.B) {
	const n = 512 << 20
	src := make([]byte, n)
	dst := make([]byte, n)
	for i := range src {
		src[i] = byte(i)
	}
	copy(dst, src) // fault the pages in before timing
	workers := runtime.GOMAXPROCS(0)
	chunk := (n + workers - 1) / workers
	b.SetBytes(2 * n)
	for b.Loop() {
		done := make(chan struct{}, workers)
		for lo := 0; lo < n; lo += chunk {
			hi := min(lo+chunk, n)
			go func() { copy(dst[lo:hi], src[lo:hi]); done <- struct{}{} }()
		}
		for lo := 0; lo < n; lo += chunk {
			<-done
		}
	}
}

// bigAffineWeight returns a 16384x16384 weight with random codes (speed
// does not depend on the values) and the bytes one product reads from it:
// codes plus float32 scales and biases.
func bigAffineWeight(bits int) (*AffineWeight, int64) {
	const n, k, g = 16384, 16384, 64
	r := rand.New(rand.NewPCG(5, 6))
	w := &AffineWeight{N: n, K: k, Bits: bits, GroupSize: g,
		Codes: make([]uint32, n*k*bits/32), Scales: make([]float32, n*k/g), Biases: make([]float32, n*k/g)}
	for i := range w.Codes {
		w.Codes[i] = r.Uint32()
	}
	for i := range w.Scales {
		w.Scales[i] = r.Float32() * 0.01
		w.Biases[i] = -r.Float32() * 0.1
	}
	return w, int64(4*len(w.Codes) + 4*len(w.Scales) + 4*len(w.Biases))
}

func benchBigMatVec(b *testing.B, bits int) {
	w, nb := bigAffineWeight(bits)
	x := benchWeights(w.K)
	y := make([]float32, w.N)
	b.SetBytes(nb)
	for b.Loop() {
		if err := w.MatMul(y, x, 1); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMatVec4Bit16384(b *testing.B) { benchBigMatVec(b, 4) }

func BenchmarkMatVec8Bit16384(b *testing.B) { benchBigMatVec(b, 8) }

// The same products on the AVX2 kernels alone, for comparison where the
// CPU has AVX-512.
func benchBigMatVecAVX2(b *testing.B, bits int) {
	saved4, saved8 := rows4Dot4, rows4Dot8
	rows4Dot4, rows4Dot8 = nil, nil
	defer func() { rows4Dot4, rows4Dot8 = saved4, saved8 }()
	benchBigMatVec(b, bits)
}

func BenchmarkMatVec4Bit16384AVX2(b *testing.B) { benchBigMatVecAVX2(b, 4) }

func BenchmarkMatVec8Bit16384AVX2(b *testing.B) { benchBigMatVecAVX2(b, 8) }
