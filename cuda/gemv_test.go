package cuda

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
)

// One-row products x @ W^T through the gemv kernel against core's CPU
// matmul: every dtype it takes, one output, a partial last block of
// rows, K of one chunk, of many, and a model's shapes; K not a multiple
// of 8 goes to cuBLAS and must agree too. Strict mode: no CPU fallback.
func TestGEMVParity(t *testing.T) {
	dev := gpu(t)
	defer core.SetStrict(core.SetStrict(true))
	before := core.Fallbacks()
	r := rand.New(rand.NewPCG(21, 22))
	for _, dt := range []core.DType{core.F32, core.F16, core.BF16} {
		for _, c := range []struct{ n, k int }{{1, 8}, {9, 8}, {3, 24}, {17, 2056}, {2048, 2048}, {33, 8192}, {5, 12}} {
			x := hostArray(t, dt, core.Shape{1, c.k}, random(r, c.k, -1, 1, false))
			w := hostArray(t, dt, core.Shape{c.n, c.k}, random(r, c.n*c.k, -1, 1, false))
			wt, err := w.T()
			require.NoError(t, err)
			want, err := core.MatMulOp(x, wt)
			require.NoError(t, err)
			xd, err := x.To(dev)
			require.NoError(t, err)
			wd, err := w.To(dev)
			require.NoError(t, err)
			wdt, err := wd.T()
			require.NoError(t, err)
			out, err := core.Empty(dev, dt, core.Shape{1, c.n})
			require.NoError(t, err)
			assert.Equal(t, c.k%8 == 0, canGEMV(xd, wdt, out), "gemv takes [%d %d]", c.n, c.k)
			got, err := core.MatMulOp(xd, wdt)
			require.NoError(t, err)
			near(t, dt, values(t, want), values(t, got), float64(c.k)/8, fmt.Sprintf("gemv %v n=%d k=%d", dt, c.n, c.k))
		}
	}
	assert.Equal(t, before, core.Fallbacks())
}
