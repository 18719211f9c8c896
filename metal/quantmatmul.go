package metal

import (
	"errors"
	"fmt"

	"github.com/lbrx/lbrx/core"
)

// QuantMatMul returns y = x * W^T on the GPU for x [M, K] and a quantized
// weight W [N, K]: MLX affine 4- or 8-bit codes (U32, with scales and
// biases in x's dtype), ggml Q8_0/Q4_0 blocks (U8, x in f32) or the other
// ggml block types of GGMLBlockSchemes (U8, x in f32, f16 or bf16). Operands
// on the CPU, with their quantization arrays, are moved to the GPU first;
// y stays there. Layouts without a kernel return an error wrapping
// core.ErrUnsupported (run the quant module's CPU path instead).
func (c *Context) QuantMatMul(x, w *core.Array) (*core.Array, error) {
	if x == nil || w == nil {
		return nil, errors.New("metal: quantized matmul of a nil array")
	}
	if x.Rank() != 2 {
		return nil, fmt.Errorf("metal: quantized matmul: x %v is not [M, K]", x)
	}
	q := w.Quant()
	if q == nil || len(q.Shape) != 2 {
		return nil, fmt.Errorf("metal: quantized matmul: %v is not a quantized [N, K] weight", w)
	}
	dev := c.Device()
	gx, err := x.To(dev)
	if err != nil {
		return nil, err
	}
	gw, err := w.To(dev)
	if err != nil {
		return nil, err
	}
	y, err := core.Empty(dev, x.DType(), core.Shape{x.Shape()[0], q.Shape[0]})
	if err != nil {
		return nil, err
	}
	ds, err := planQuantMatmul(gx, gw, y)
	if err != nil {
		return nil, err
	}
	if err := c.runPlan(ds); err != nil {
		return nil, fmt.Errorf("quantized matmul %v x %v^T: %w", x.Shape(), q.Shape, err)
	}
	return y, nil
}
