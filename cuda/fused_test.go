package cuda

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
)

// silu_mul on the GPU against core's CPU kernel: every float dtype, one
// element, a block tail, more elements than the grid-stride grid covers.
func TestSiLUMulParity(t *testing.T) {
	dev := gpu(t)
	before := core.Fallbacks()
	r := rand.New(rand.NewPCG(15, 16))
	for _, dt := range []core.DType{core.F32, core.F64, core.F16, core.BF16} {
		for _, n := range []int{1, 255, 257, 8192, 3*132*32*256 + 5} {
			g := hostArray(t, dt, core.Shape{n}, random(r, n, -8, 8, false))
			u := hostArray(t, dt, core.Shape{n}, random(r, n, -2, 2, false))
			gg, err := g.To(dev)
			require.NoError(t, err)
			ug, err := u.To(dev)
			require.NoError(t, err)
			got := runOn(t, dev, "silu_mul", dt, core.Shape{n}, nil, 0, gg, ug)
			want := cpuRef(t, "silu_mul", []*core.Array{g, u}, dt, core.Shape{n}, nil, 0)
			near(t, dt, want, got, 1, "silu_mul "+dt.String())
		}
	}
	assert.Equal(t, before, core.Fallbacks())
}
