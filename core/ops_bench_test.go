package core

import (
	"math/rand/v2"
	"testing"
)

func benchTensor(b *testing.B, shape ...int) *Tensor[float32] {
	b.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	x, err := FromSlice(randValues[float32](r, Shape(shape).NumElements(), -1, 1), shape...)
	if err != nil {
		b.Fatal(err)
	}
	return x
}

func BenchmarkAddF32(b *testing.B) {
	x, y := benchTensor(b, 1<<20), benchTensor(b, 1<<20)
	b.SetBytes(3 * 4 << 20)
	for b.Loop() {
		if _, err := Add(x, y); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAddBroadcastRowF32(b *testing.B) {
	x, y := benchTensor(b, 1024, 1024), benchTensor(b, 1024)
	b.SetBytes(2 * 4 << 20)
	for b.Loop() {
		if _, err := Add(x, y); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAddTransposedF32(b *testing.B) {
	x := benchTensor(b, 1024, 1024)
	xt, err := x.T()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(3 * 4 << 20)
	for b.Loop() {
		if _, err := Add(x, xt); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSiluF32(b *testing.B) {
	x := benchTensor(b, 1<<20)
	b.SetBytes(2 * 4 << 20)
	for b.Loop() {
		if _, err := Silu(x); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSumLastAxisF32(b *testing.B) {
	x := benchTensor(b, 1024, 1024)
	b.SetBytes(4 << 20)
	for b.Loop() {
		if _, err := Sum(x, false, -1); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSumFirstAxisF32(b *testing.B) {
	x := benchTensor(b, 1024, 1024)
	b.SetBytes(4 << 20)
	for b.Loop() {
		if _, err := Sum(x, false, 0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSoftmaxF32(b *testing.B) {
	x := benchTensor(b, 1024, 1024)
	b.SetBytes(2 * 4 << 20)
	for b.Loop() {
		if _, err := Softmax(x, -1); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMatMulF32_256(b *testing.B) {
	x, y := benchTensor(b, 256, 256), benchTensor(b, 256, 256)
	for b.Loop() {
		if _, err := MatMul(x, y); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(2*256*256*256*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

func BenchmarkCastF32ToBF16(b *testing.B) {
	x := benchTensor(b, 1<<20)
	b.SetBytes(6 << 20)
	for b.Loop() {
		if _, err := Cast[BFloat16](x); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCastF32ToI32Strided(b *testing.B) {
	x := benchTensor(b, 1024, 1024)
	xt, err := x.T()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(8 << 20)
	for b.Loop() {
		if _, err := Cast[int32](xt); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSumManyShortRowsF32(b *testing.B) {
	x := benchTensor(b, 1<<18, 4)
	b.SetBytes(4 << 20)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Sum(x, false, -1); err != nil {
			b.Fatal(err)
		}
	}
}
