package quant

import (
	"fmt"

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
	y, err := MatMul(op.Inputs[0], op.Inputs[1])
	if err != nil {
		return err
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
