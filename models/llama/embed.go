package llama

import (
	"fmt"
	"sync"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/quant"
)

// embedRowsPerWorker is the alignment of the chunks of rows
// quantizedEmbedding hands the CPU workers (core.ParallelFor): a decode
// step's one row stays on the caller.
const embedRowsPerWorker = 16

// quantizedEmbedding dequantizes the rows of ids from a quantized table
// (MLX affine or ggml blocks) as float32 and rounds them to the
// activation dtype: the values of dequantizing the gathered rows and
// casting them (row by row the arithmetic is the same, and quant's slice
// converters round exactly as core's cast), but each row is read in place
// and the rows are split among the CPU workers. A 512-token prompt of a
// 2048-wide model spent most of its prefill's host time in the single
// gather, dequantize and cast pass this replaces.
func (m *Model) quantizedEmbedding(ids []int) (*core.Array, error) {
	h := m.Config.HiddenSize
	if q := m.embed.Quant(); q != nil && len(q.Shape) == 2 {
		h = q.Shape[1]
	}
	v := make([]float32, len(ids)*h)
	var h16 []core.Float16
	var b16 []core.BFloat16
	switch m.dtype {
	case core.F16:
		h16 = make([]core.Float16, len(v))
	case core.BF16:
		b16 = make([]core.BFloat16, len(v))
	}
	var mu sync.Mutex
	var first error
	core.ParallelFor(len(ids), embedRowsPerWorker, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			if err := m.embedRow(ids[i], v[i*h:(i+1)*h]); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
				return
			}
		}
		switch {
		case h16 != nil:
			quant.F32ToF16(h16[lo*h:hi*h], v[lo*h:hi*h])
		case b16 != nil:
			quant.F32ToBF16(b16[lo*h:hi*h], v[lo*h:hi*h])
		}
	})
	if first != nil {
		return nil, first
	}
	switch {
	case h16 != nil:
		t, err := core.FromSlice(h16, len(ids), h)
		if err != nil {
			return nil, err
		}
		return t.Array(), nil
	case b16 != nil:
		t, err := core.FromSlice(b16, len(ids), h)
		if err != nil {
			return nil, err
		}
		return t.Array(), nil
	}
	t, err := core.FromSlice(v, len(ids), h)
	if err != nil {
		return nil, err
	}
	return core.CastOp(t.Array(), m.dtype)
}

// embedRow dequantizes row id of the quantized table into dst.
func (m *Model) embedRow(id int, dst []float32) error {
	r, err := quant.SliceRows(m.embed, id, id+1)
	if err != nil {
		return fmt.Errorf("llama: embedding row %d: %w", id, err)
	}
	if err := quant.DequantizeFloat32Into(dst, r); err != nil {
		return fmt.Errorf("llama: embedding row %d: %w", id, err)
	}
	return nil
}
