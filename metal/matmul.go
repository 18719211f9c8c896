package metal

import (
	"errors"
	"fmt"

	"github.com/lbrx/lbrx/core"
)

// MatMul multiplies matrices on a Context's GPU: the seed design's
// MetalMatMul. Operands on the CPU are moved to the GPU first; the result
// stays on the GPU (move it back with To(core.CPU())).
type MatMul struct {
	ctx *Context
}

// NewMatMul returns a MatMul running on ctx.
func NewMatMul(ctx *Context) (*MatMul, error) {
	if ctx == nil {
		return nil, errors.New("metal: matmul needs a context")
	}
	return &MatMul{ctx: ctx}, nil
}

// ComputeF32 returns a x b for a [..., M, K] and b [..., K, N], batch
// dimensions broadcast; transposed views are read in place. It fails
// rather than falling back to the CPU.
func (m *MatMul) ComputeF32(a, b *core.Tensor[float32]) (*core.Tensor[float32], error) {
	if a == nil || b == nil {
		return nil, errors.New("metal: matmul of a nil tensor")
	}
	dev := m.ctx.Device()
	ga, err := a.To(dev)
	if err != nil {
		return nil, err
	}
	gb, err := b.To(dev)
	if err != nil {
		return nil, err
	}
	op, err := matmulOp(dev, ga.Array(), gb.Array())
	if err != nil {
		return nil, err
	}
	if err := m.ctx.Execute(op); err != nil {
		return nil, fmt.Errorf("metal matmul %v x %v: %w", a.Shape(), b.Shape(), err)
	}
	return core.As[float32](op.Out)
}

// matmulOp prepares the "matmul" op C = A x B on dev: it checks that the
// inner dimensions agree, broadcasts the batch dimensions and allocates
// C [..., M, N] there.
func matmulOp(dev core.Device, a, b *core.Array) (*core.Op, error) {
	as, bs := a.Shape(), b.Shape()
	if len(as) < 2 || len(bs) < 2 {
		return nil, fmt.Errorf("matmul %v x %v: operands need at least 2 dimensions", as, bs)
	}
	if a.DType() != b.DType() {
		return nil, fmt.Errorf("matmul %v %v x %v %v: dtypes differ", a.DType(), as, b.DType(), bs)
	}
	m, k, k2, n := as[len(as)-2], as[len(as)-1], bs[len(bs)-2], bs[len(bs)-1]
	if k != k2 {
		return nil, fmt.Errorf("matmul %v x %v: inner dimensions %d and %d differ", as, bs, k, k2)
	}
	batch, err := core.BroadcastShapes(as[:len(as)-2], bs[:len(bs)-2])
	if err != nil {
		return nil, fmt.Errorf("matmul %v x %v: batch dimensions: %w", as, bs, err)
	}
	va, err := a.BroadcastTo(append(batch.Clone(), m, k))
	if err != nil {
		return nil, err
	}
	vb, err := b.BroadcastTo(append(batch.Clone(), k, n))
	if err != nil {
		return nil, err
	}
	out, err := core.Empty(dev, a.DType(), append(batch.Clone(), m, n))
	if err != nil {
		return nil, err
	}
	return &core.Op{Name: "matmul", Inputs: []*core.Array{va, vb}, Out: out}, nil
}
