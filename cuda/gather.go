package cuda

import (
	"fmt"

	"github.com/lbrx/lbrx/core"
)

// gather runs core's gather along axis 0 of a contiguous float table
// with contiguous I32 indices (kernels/transformer.cu gather_rows): an
// embedding lookup, or a row of a rope table, by ids that live on the
// device, so a recorded decode step can pick its own inputs. Other axes,
// I64 indices and integer tables are answered as unsupported and run on
// the CPU. The kernel cannot return an error: an index outside [0, n)
// yields a zero row where the CPU reports the index.
func (d *Device) gather(op *core.Op) error {
	in, out := op.Inputs, op.Out
	if len(in) != 2 || len(op.Axes) != 1 {
		return unsupported(op, "want a table, indices and one axis")
	}
	x, idx := in[0], in[1]
	if x.Rank() == 0 || op.Axes[0] != 0 {
		return unsupported(op, "axis %d (rows only)", op.Axes[0])
	}
	if idx.DType() != core.I32 || !idx.IsContiguous() || !x.IsContiguous() {
		return unsupported(op, "want contiguous I32 indices and a contiguous table")
	}
	switch dt := x.DType(); {
	case dt != out.DType():
		return unsupported(op, "table %v, output %v", dt, out.DType())
	case dt != core.F32 && dt != core.F64 && dt != core.F16 && dt != core.BF16:
		return unsupported(op, "dtype %v", dt)
	}
	n, t := x.Shape()[0], idx.NumElements()
	row := 1
	for _, s := range x.Shape()[1:] {
		row *= s
	}
	if out.NumElements() != t*row {
		return fmt.Errorf("cuda: gather: output %v does not hold %d rows of %d", out.Shape(), t, row)
	}
	if t == 0 || row == 0 {
		return nil
	}
	args := (&kargs{}).ptr(dataPtr(x)).ptr(dataPtr(idx)).ptr(dataPtr(out)).i64(row).i64(t).i64(n)
	return d.launch("transformer", x.DType(), "gather_rows_"+suffix(x.DType()), d.gridFor(int64(t*row)), gridBlock, args)
}
