package quant

import (
	"fmt"
	"runtime"
	"sync"
	"weak"

	"github.com/lbrx/lbrx/core"
)

// init installs this module's quantized matmul as core's CPU kernel for
// the "quantized_matmul" op, so core.QuantizedMatMulOp runs on the CPU
// (and as the CPU fallback of devices without the kernel).
func init() { core.RegisterCPUKernel("quantized_matmul", cpuQuantizedMatMul) }

// cpuQuantizedMatMul computes Out = Inputs[0] @ W^T with W = Inputs[1].
func cpuQuantizedMatMul(op *core.Op) error {
	if len(op.Inputs) != 2 {
		return fmt.Errorf("quantized_matmul takes 2 inputs, got %d", len(op.Inputs))
	}
	w, err := preparedWeight(op.Inputs[1])
	if err != nil {
		return fmt.Errorf("quantized matmul: %w", err)
	}
	if out := op.Out; out.DType() == core.F32 && out.IsContiguous() {
		// Straight into the op's output (no result array copied over).
		if hs, ok := out.Storage().(core.HostStorage); ok && hs.Writable() {
			if err := matMulInto(hostF32(out), op.Inputs[0], w); err != nil {
				return fmt.Errorf("quantized matmul %v @ %v^T: %w", op.Inputs[0], op.Inputs[1], err)
			}
			return nil
		}
	}
	y, err := matMulPrepared(op.Inputs[0], w)
	if err != nil {
		return fmt.Errorf("quantized matmul %v @ %v^T: %w", op.Inputs[0], op.Inputs[1], err)
	}
	if y, err = core.CastOp(y, op.Out.DType()); err != nil {
		return err
	}
	b, err := y.Bytes()
	if err != nil {
		return err
	}
	return core.CPU().CopyFromHost(op.Out.Storage(), op.Out.Offset()*op.Out.DType().Size(), b)
}

// prepared caches Prepare's result per weight array, so that a model
// multiplying by the same weight once per token reads its scales and
// biases (converted to float32) once, not on every call. Keys are weak:
// an entry goes when its array is collected. Quantized weights are
// treated as immutable; rewriting one's storage in place is not seen.
var prepared sync.Map // weak.Pointer[core.Array] -> Weight

func preparedWeight(a *core.Array) (Weight, error) {
	key := weak.Make(a)
	if w, ok := prepared.Load(key); ok {
		return w.(Weight), nil
	}
	w, err := Prepare(a)
	if err != nil {
		return nil, err
	}
	if _, loaded := prepared.LoadOrStore(key, w); !loaded {
		runtime.AddCleanup(a, func(k weak.Pointer[core.Array]) { prepared.Delete(k) }, key)
	}
	return w, nil
}
