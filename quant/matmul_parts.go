package quant

import (
	"fmt"

	"github.com/lbrx/lbrx/core"
)

func init() { core.RegisterCPUKernel("quantized_matmul_parts", cpuQuantizedMatMulParts) }

// cpuQuantizedMatMulParts computes quantized_matmul_concat's product
// (one quantization of x, one parallel job) and lays it out part after
// part, each [M, N_i] (core.QuantizedMatMulPartsOp).
func cpuQuantizedMatMulParts(op *core.Op) error {
	x, ws, outs, err := core.QuantizedParts(op)
	if err != nil {
		return err
	}
	m := x.Dim(0)
	total := 0
	for _, o := range outs {
		total += o.Dim(1)
	}
	y, err := core.Empty(core.CPU(), op.Out.DType(), core.Shape{m, total})
	if err != nil {
		return err
	}
	if err := cpuQuantizedMatMulConcat(&core.Op{Name: "quantized_matmul_concat", Inputs: append([]*core.Array{x}, ws...), Out: y}); err != nil {
		return fmt.Errorf("quantized matmul parts: %w", err)
	}
	b, err := y.Bytes()
	if err != nil {
		return err
	}
	es := op.Out.DType().Size()
	dst := make([]byte, 0, len(b))
	col := 0
	for _, o := range outs {
		n := o.Dim(1)
		for r := range m {
			dst = append(dst, b[(r*total+col)*es:(r*total+col+n)*es]...)
		}
		col += n
	}
	return core.CPU().CopyFromHost(op.Out.Storage(), op.Out.Offset()*es, dst)
}
