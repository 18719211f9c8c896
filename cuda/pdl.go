package cuda

import (
	"os"
	"strings"
	"unsafe"
)

// Programmatic dependent launch (compute capability 9.0 and newer): a
// kernel launched with programmatic stream serialization may be scheduled
// while the kernel before it on the stream is still running; inside a CUDA
// graph the edge between them becomes a programmatic one. A decode step is
// ~150 small kernels whose launch and ramp-up would otherwise follow each
// predecessor's last block, so this overlaps one kernel's launch with the
// tail of the one before.
//
// Only the kernels whose first statement is pdl_entry (kernels/common.cuh:
// griddepcontrol.wait, then launch_dependents) are launched so: the wait
// holds all of a kernel's memory accesses until its predecessor has
// finished and its writes are visible, so the overlap cannot change a
// result. pdlKernels lists them by name prefix; a kernel missing from it
// launches as before. LBRX_CUDA_PDL=off turns it off.

// pdlKernels are the name prefixes of the kernels that start with
// pdl_entry.
var pdlKernels = []string{
	"rms_norm_", "add_rms_norm_", "rope_", "cached_attention_", "write_rows_", "silu_mul_",
	"qmv_", "qmvi_", "gemv_", "gmv_", "gmvi_", "argmax_",
}

var pdlOff = os.Getenv("LBRX_CUDA_PDL") == "off"

func pdlKernel(name string) bool {
	for _, p := range pdlKernels {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// launchAttrProgrammaticStreamSerialization is
// CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION.
const launchAttrProgrammaticStreamSerialization = 6

// launchAttr is CUlaunchAttribute: an id, padding to 8 bytes and a
// 64-byte value union.
type launchAttr struct {
	id  uint32
	_   uint32
	val [64]byte
}

// launchConfig is CUlaunchConfig (64-bit layout: seven 32-bit fields,
// padding, the stream, the attribute array and its length).
type launchConfig struct {
	gx, gy, gz, bx, by, bz, shared uint32
	_                              uint32
	stream                         cuStream
	attrs                          *launchAttr
	numAttrs                       uint32
	_                              uint32
}

// pdlLaunch holds one launch configuration per device, reused on its
// worker thread; heap-allocated so the driver reads it in place.
type pdlLaunch struct {
	cfg  launchConfig
	attr launchAttr
}

// usePDL reports whether kernel name launches with programmatic stream
// serialization on this device.
func (d *Device) usePDL(name string) bool {
	return !pdlOff && launchExBound && d.cc >= 90 && pdlKernel(name)
}

// launchPDL queues f with programmatic stream serialization; on the
// worker thread.
func (d *Device) launchPDL(name string, f cuFunction, grid, block int, params unsafe.Pointer) error {
	if d.pdl == nil {
		d.pdl = &pdlLaunch{}
		d.pdl.attr.id = launchAttrProgrammaticStreamSerialization
		d.pdl.attr.val[0] = 1 // programmaticStreamSerializationAllowed
	}
	c := &d.pdl.cfg
	*c = launchConfig{gx: uint32(grid), gy: 1, gz: 1, bx: uint32(block), by: 1, bz: 1, stream: d.stream,
		attrs: &d.pdl.attr, numAttrs: 1}
	return check("cuLaunchKernelEx "+name, drv.launchKernelEx(unsafe.Pointer(c), f, params, nil))
}
