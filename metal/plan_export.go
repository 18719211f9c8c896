package metal

import (
	"fmt"

	"github.com/lbrx/lbrx/core"
)

// PlannedBuffer is one buffer binding of a planned dispatch: the storage
// bound at [[buffer(Index)]] from byte ByteOffset on, and whether the
// kernel writes it.
type PlannedBuffer struct {
	Storage    core.Storage
	ByteOffset int
	Index      int
	Written    bool
}

// PlannedDispatch is one kernel launch that the op planner chose.
type PlannedDispatch struct {
	Kernel     string
	Buffers    []PlannedBuffer
	Params     []byte // setBytes at ParamIndex
	ParamIndex int
	Launch     Launch
}

// Plan returns the dispatches that compute op on Metal, sized for a
// pipeline allowing maxThreads threads per threadgroup with SIMD width
// simdWidth; simdMatmul selects the simdgroup-matrix matmul (Apple7+). It
// is plain Go and runs on every OS, so that tools/shaderc can replay the
// planner's dispatches on its MSL emulator. An op without a kernel gives
// an error wrapping core.ErrUnsupported.
func Plan(op *core.Op, simdMatmul bool, maxThreads, simdWidth int) ([]PlannedDispatch, error) {
	ds, err := planOp(op, simdMatmul)
	if err != nil {
		return nil, err
	}
	return exportPlan(ds, maxThreads, simdWidth)
}

// PlanQuantMatMul is Plan for Context.QuantMatMul: y = x * W^T with x, the
// quantized weight w (and its quantization arrays) and the output y
// already on the device.
func PlanQuantMatMul(x, w, y *core.Array, maxThreads, simdWidth int) ([]PlannedDispatch, error) {
	ds, err := planQuantMatmul(x, w, y)
	if err != nil {
		return nil, err
	}
	return exportPlan(ds, maxThreads, simdWidth)
}

func exportPlan(ds []dispatch, maxThreads, simdWidth int) ([]PlannedDispatch, error) {
	out := make([]PlannedDispatch, 0, len(ds))
	for i := range ds {
		d := &ds[i]
		l, err := d.launch(maxThreads, simdWidth)
		if err != nil {
			return nil, fmt.Errorf("metal: %s: %w", d.kernel, err)
		}
		pd := PlannedDispatch{Kernel: d.kernel, Params: d.params, ParamIndex: d.paramIdx, Launch: l}
		for _, b := range d.bufs {
			pd.Buffers = append(pd.Buffers, PlannedBuffer{Storage: b.st, ByteOffset: b.byteOff, Index: b.index, Written: b.write})
		}
		out = append(out, pd)
	}
	return out, nil
}
