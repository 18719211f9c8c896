package core

import (
	"errors"
	"fmt"
)

// Op is one operation handed to a device: named inputs, a pre-allocated
// contiguous output on the same device, and the op's parameters. It is the
// small interface between core's public functions and the kernels of every
// backend, the CPU included.
type Op struct {
	// Name identifies the kernel: "add", "exp", "sum", "matmul", "copy", ...
	// (see the OpName constants).
	Name string
	// Inputs are the operands, already broadcast to a common shape where
	// the op broadcasts (strides 0 on broadcast dimensions).
	Inputs []*Array
	// Out is contiguous, freshly allocated on the inputs' device.
	Out *Array
	// Axes lists the normalised axes a reduction or softmax works over.
	Axes []int
	// Param carries a scalar parameter where an op has one.
	Param float64
}

// cpuKernels maps op names to the portable CPU implementations.
var cpuKernels = map[string]func(*Op) error{}

// registerCPU installs the CPU kernel for an op name; called from init.
func registerCPU(name string, k func(*Op) error) {
	if _, dup := cpuKernels[name]; dup {
		panic("core: CPU kernel " + name + " registered twice")
	}
	cpuKernels[name] = k
}

// runCPU executes op with the CPU kernel.
func runCPU(op *Op) error {
	k, ok := cpuKernels[op.Name]
	if !ok {
		return fmt.Errorf("op %s: no CPU kernel", op.Name)
	}
	return k(op)
}

// sameDevice returns the device all arrays live on, or an error naming the
// two that differ.
func sameDevice(op string, in ...*Array) (Device, error) {
	if len(in) == 0 {
		return CPU(), nil
	}
	d := in[0].Device()
	for _, a := range in[1:] {
		if a.Device() != d {
			return nil, fmt.Errorf("%s: operands on different devices %s and %s", op, d.Name(), a.Device().Name())
		}
	}
	return d, nil
}

// Run executes op on its inputs' device. A device without a kernel for it
// (no Executor, or Execute wrapping ErrUnsupported) has the op run on the
// CPU instead: inputs are copied to the host, the CPU kernel runs, and the
// result is copied into op.Out. Each such fallback is counted (Fallbacks).
func Run(op *Op) error {
	dev := op.Out.Device()
	if dev == CPU() {
		return runCPU(op)
	}
	if ex, ok := dev.(Executor); ok {
		err := ex.Execute(op)
		if err == nil || !errors.Is(err, ErrUnsupported) {
			return err
		}
	}
	countFallback(dev, op.Name)
	host := &Op{Name: op.Name, Axes: op.Axes, Param: op.Param, Inputs: make([]*Array, len(op.Inputs))}
	for i, a := range op.Inputs {
		h, err := a.To(CPU())
		if err != nil {
			return fmt.Errorf("%s on %s (CPU fallback): %w", op.Name, dev.Name(), err)
		}
		host.Inputs[i] = h
	}
	out, err := Empty(CPU(), op.Out.dtype, op.Out.shape)
	if err != nil {
		return err
	}
	host.Out = out
	if err := runCPU(host); err != nil {
		return err
	}
	b := out.storage.(HostStorage).Bytes()
	return dev.CopyFromHost(op.Out.storage, op.Out.offset*op.Out.dtype.Size(), b)
}
