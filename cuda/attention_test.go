package cuda

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/lbrx/lbrx/core"
)

// causal_attention on the GPU against core's CPU kernel, covering both
// kernels: prompts (several queries: the warp-per-row kernel) with batch
// axes, queries after cached positions, head sizes 1, 33 and 128 (its
// limit), query-head counts that leave a block's last warps idle, and
// one query (the block-per-row kernel) with a head past the warp limit.
func TestCausalAttentionKernelsParity(t *testing.T) {
	dev := gpu(t)
	before := core.Fallbacks()
	r := rand.New(rand.NewPCG(17, 18))
	for _, dt := range []core.DType{core.F32, core.F64, core.F16, core.BF16} {
		for _, c := range []struct{ q, k core.Shape }{
			{core.Shape{2, 5, 3, 128}, core.Shape{2, 7, 1, 128}},
			{core.Shape{3, 1, 1}, core.Shape{3, 1, 1}},
			{core.Shape{4, 6, 33}, core.Shape{40, 2, 33}},
			{core.Shape{2, 1, 8, 200}, core.Shape{2, 9, 4, 200}},
			{core.Shape{1, 4, 130}, core.Shape{5, 2, 130}},
		} {
			q := hostArray(t, dt, c.q, random(r, c.q.NumElements(), -1, 1, false))
			k := hostArray(t, dt, c.k, random(r, c.k.NumElements(), -1, 1, false))
			v := hostArray(t, dt, c.k, random(r, c.k.NumElements(), -1, 1, false))
			var gin []*core.Array
			for _, a := range []*core.Array{q, k, v} {
				g, err := a.To(dev)
				if err != nil {
					t.Fatal(err)
				}
				gin = append(gin, g)
			}
			got := runOn(t, dev, "causal_attention", dt, c.q, nil, 0.3, gin...)
			want := cpuRef(t, "causal_attention", []*core.Array{q, k, v}, dt, c.q, nil, 0.3)
			near(t, dt, want, got, 1, "causal_attention "+dt.String()+" "+c.q.String())
		}
	}
	assert.Equal(t, before, core.Fallbacks())
}
