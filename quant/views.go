package quant

import (
	"fmt"

	"github.com/lbrx/lbrx/core"
)

// SliceRows views rows [start, stop) of axis 0 of a quantized array (e.g.
// a slice of an embedding table or of a weight's output rows). The codes,
// scales, biases and zero points are sliced together, so the view
// dequantizes and multiplies like the rows it names. Nothing is copied.
func SliceRows(q *core.Array, start, stop int) (*core.Array, error) {
	qi, err := quantOf(q)
	if err != nil {
		return nil, fmt.Errorf("slice rows: %w", err)
	}
	if q.Rank() < 2 {
		return nil, fmt.Errorf("slice rows of %v: need at least 2 dimensions", q)
	}
	out, err := q.Slice(0, start, stop, 1)
	if err != nil {
		return nil, fmt.Errorf("slice rows of %v: %w", q, err)
	}
	m := out.Metadata()
	nq := *qi
	nq.Shape = qi.Shape.Clone()
	if len(nq.Shape) > 0 {
		nq.Shape[0] = out.Shape()[0]
	}
	for _, p := range []**core.Array{&nq.Scales, &nq.Biases, &nq.ZeroPoints} {
		if *p == nil {
			continue
		}
		if *p, err = (*p).Slice(0, start, stop, 1); err != nil {
			return nil, fmt.Errorf("slice rows of %v: quantization parameters: %w", q, err)
		}
	}
	m.Quant = &nq
	return out.WithMetadata(m)
}
