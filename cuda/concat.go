package cuda

import (
	"github.com/lbrx/lbrx/core"
)

// maxConcatCopies bounds the device-to-device copies one concat queues
// (one per input per index of the axes before the concatenated one);
// beyond it a gather kernel would be needed, and the CPU runs it instead.
const maxConcatCopies = 1024

// concat copies each input's contiguous blocks into place: along axis 0
// (a KV cache growing by positions) that is one copy per input.
func (d *Device) concat(op *core.Op) error {
	out := op.Out
	if len(op.Axes) != 1 {
		return unsupported(op, "axes %v", op.Axes)
	}
	ax := op.Axes[0]
	shape := out.Shape()
	outer, inner := 1, 1
	for _, s := range shape[:ax] {
		outer *= s
	}
	for _, s := range shape[ax+1:] {
		inner *= s
	}
	if outer*len(op.Inputs) > maxConcatCopies {
		return unsupported(op, "%d copies", outer*len(op.Inputs))
	}
	es := out.DType().Size()
	base := dataPtr(out)
	off := 0
	for _, a := range op.Inputs {
		if a.DType() != out.DType() {
			return unsupported(op, "input dtype %v for output %v", a.DType(), out.DType())
		}
		c, release, err := d.contiguous(a)
		if err != nil {
			return err
		}
		n := a.Shape()[ax]
		if block := n * inner * es; block > 0 {
			for o := range outer {
				dst := base + devicePtr(((o*shape[ax]+off)*inner)*es)
				src := dataPtr(c) + devicePtr(o*block)
				if err := check("cuMemcpyDtoDAsync", drv.memcpyDtoDAsync(dst, src, uint64(block), d.stream)); err != nil {
					release()
					return err
				}
			}
		}
		release()
		off += n
	}
	return nil
}
