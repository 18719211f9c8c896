package metal

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/lbrx/lbrx/core"
)

// BenchmarkPoolGetPut measures a steady-state allocation from the pool
// (plain Go; runs everywhere).
func BenchmarkPoolGetPut(b *testing.B) {
	p, err := NewBufferPool(newFake(0), 1<<30)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		blk, _, err := p.Get(1 << 20)
		if err != nil {
			b.Fatal(err)
		}
		p.Put(blk)
	}
}

// BenchmarkMatMulF32 measures GPU matmul throughput (needs a Metal GPU).
func BenchmarkMatMulF32(b *testing.B) {
	c, err := DefaultContext()
	if err != nil {
		b.Skipf("needs macOS with a Metal GPU: %v", err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{256, 1024, 2048} {
		b.Run(fmt.Sprintf("%d", n), func(b *testing.B) {
			mk := func() *core.Array {
				v := randVals(r, n*n, -1, 1)
				h := core.NewHeap(n * n * 4)
				copy(h.Bytes(), encodeVals(core.F32, v))
				a, err := core.NewArray(core.F32, core.Shape{n, n}, h, 0)
				if err != nil {
					b.Fatal(err)
				}
				g, err := a.To(c.Device())
				if err != nil {
					b.Fatal(err)
				}
				return g
			}
			x, y := mk(), mk()
			op, err := matmulOp(c.Device(), x, y)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if err := c.Execute(op); err != nil {
					b.Fatal(err)
				}
				if err := c.Sync(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(2*float64(n)*float64(n)*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkAttentionDecode measures one decode step's attention on the GPU
// for a 1B-Llama-shaped layer (32 query heads over 8 key/value heads of
// 64, f16) at several cache lengths, reporting the K/V bytes read per
// second (needs a Metal GPU).
func BenchmarkAttentionDecode(b *testing.B) {
	c, err := DefaultContext()
	if err != nil {
		b.Skipf("needs macOS with a Metal GPU: %v", err)
	}
	const hq, hkv, d = 32, 8, 64
	r := rand.New(rand.NewPCG(3, 4))
	for _, tk := range []int{128, 1024, 4096} {
		b.Run(fmt.Sprintf("Tk=%d", tk), func(b *testing.B) {
			mk := func(shape ...int) *core.Array {
				n := 1
				for _, s := range shape {
					n *= s
				}
				h := core.NewHeap(n * 2)
				copy(h.Bytes(), encodeVals(core.F16, randVals(r, n, -1, 1)))
				a, err := core.NewArray(core.F16, core.Shape(shape), h, 0)
				if err != nil {
					b.Fatal(err)
				}
				g, err := a.To(c.Device())
				if err != nil {
					b.Fatal(err)
				}
				return g
			}
			q, k, v := mk(1, hq, d), mk(tk, hkv, d), mk(tk, hkv, d)
			out, err := core.Empty(c.Device(), core.F16, core.Shape{1, hq, d})
			if err != nil {
				b.Fatal(err)
			}
			op := &core.Op{Name: "causal_attention", Inputs: []*core.Array{q, k, v}, Out: out, Param: 0.125}
			for b.Loop() {
				if err := c.Execute(op); err != nil {
					b.Fatal(err)
				}
				if err := c.Sync(); err != nil {
					b.Fatal(err)
				}
			}
			// Every query head reads its group's keys and values.
			b.ReportMetric(float64(2*hq*tk*d*2)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
		})
	}
}
