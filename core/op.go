package core

import (
	"errors"
	"fmt"
)

// Op is one operation handed to a device: named inputs, a pre-allocated
// contiguous output on the same device, and the op's parameters. It is the
// small interface between core's public functions and the kernels of every
// backend, the CPU included.
//
// The public functions validate everything before building an Op, so a
// kernel may rely on the conventions below; the names are the contract with
// the device backends. In every op Out is contiguous and freshly allocated
// on the inputs' device (kernels write every element and must not rely on
// its contents), and inputs may be arbitrary strided views (permuted,
// sliced with a step, offset, broadcast with stride 0).
//
//	Name                    Inputs                        Out                    Axes / Param
//	add sub mul div         a, b: same dtype, broadcast   that dtype             -
//	maximum minimum pow       to Out's shape
//	neg abs exp log sqrt    x                             x's shape and dtype    -
//	rsqrt sin cos tanh
//	sigmoid relu gelu
//	gelu_tanh silu
//	eq ne lt le gt ge       a, b: same dtype, broadcast   BOOL                   -
//	where                   cond (BOOL), a, b: broadcast  a's dtype              -
//	sum mean max min        x                             keepdims shape:        Axes: reduced axes,
//	                                                      reduced axes size 1     sorted, normalised
//	var                     x                             keepdims shape         Axes as above; Param = ddof
//	argmax                  x                             keepdims shape, I64    Axes: exactly one axis
//	softmax log_softmax     x (float)                     x's shape and dtype    Axes: exactly one axis
//	matmul                  a [..., M, K], b [..., K, N]  [..., M, N]            -
//	                          batch axes broadcast to Out's
//	concat                  x1..xn: same dtype, equal     the concatenation      Axes: the one axis
//	                          except along the axis
//	gather                  x, idx (I32 or I64)           x.shape[:ax] +         Axes: the one axis ax;
//	                                                      idx.shape +            the kernel checks every
//	                                                      x.shape[ax+1:]         index is in [0, n)
//	cast                    x                             x's shape, target      -
//	                                                      dtype
//	copy                    x                             x's shape and dtype    -
//	rms_norm                x [..., D], w [D]; contiguous x's shape and dtype    Param = eps
//	rope                    x [..., T, H, D]; cos, sin    x's shape and dtype    -
//	                          [T, D/2] F32; contiguous
//	causal_attention        q [..., Tq, Hq, D], k, v      q's shape and dtype    Param = scale;
//	                          [..., Tk, Hkv, D]; contiguous                        Params = [window,
//	                                                                               softcap] or none
//	                                                                               (Op.Attention)
//	cached_attention        q [Tq, Hq, D], k, v [C, Hkv,  q's shape and dtype    as causal_attention
//	                          D], pos I32 [1]; contiguous
//	write_rows              dst [C, ...], src [T, ...],   dst itself (in place)  -
//	                          pos I32 [1]; contiguous
//	silu_mul                g, u: same shape; contiguous  g's shape and dtype    -
//	add_rms_norm            x, r [..., D], w [D];         [2, ...x's shape]:     Param = eps
//	                          contiguous                   x+r, rms_norm(x+r)
//	rope_cache              qkv [T, (H+2Hkv)*D], cos,     [T, H, D] rotated q;   Attrs: RoPECacheAttrs
//	                          sin [T, D/2] F32, pos I32    k, v written into the
//	                          [1], k, v [C, Hkv, D]        caches in place
//	scatter_rows            dst [N, ...], src [B, ...],   dst itself (in place)  -
//	                          idx I32 [B]; contiguous
//	paged_attention         q [B, Hq, D], k, v [NB, BS,   q's shape and dtype    as causal_attention
//	                          Hkv, D], table I32 [B, M],
//	                          pos I32 [B]; contiguous
//
// write_rows and scatter_rows are the ops whose Out is not fresh (and
// rope_cache the one that writes inputs, its caches): it is the array
// the caller passed (a preallocated cache), written at the rows pos (or
// idx) names. paged_attention reads its table and positions from device
// data likewise.
// cached_attention and write_rows read the position from device data, so
// a recorded graph (Record) replays them at a new position unchanged.
//
// Integer semantics shared by all backends: add/sub/mul/sum/matmul wrap;
// div truncates toward zero and x/0 = 0; integer pow with a negative
// exponent is 0 unless |x| = 1. f16/bf16 compute in float32 and round once.
// The per-family files (ops_binary.go, ops_reduce.go, ops_cast.go, ...)
// document the remaining edge cases (NaN handling, empty reductions, cast
// saturation).
type Op struct {
	// Name identifies the kernel; see the table above.
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
	// Params carries the further scalar parameters of an op with several
	// (causal_attention's and cached_attention's window and soft cap); nil
	// when all are unset.
	Params []float64
	// Attrs are the typed parameters (NormAttrs, AttentionAttrs,
	// VarAttrs); nil for ops without any. Core sets them alongside Param
	// and Params.
	Attrs Attrs
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
		return fmt.Errorf("op %s: %w", op.Name, errNoCPUKernel)
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
// (no Executor, or Execute wrapping ErrUnsupported) runs the cache and
// fused ops as simpler ops on the device where it has those
// (decompose), and every other op on the CPU: inputs are copied to the
// host, the CPU kernel runs, and the result is copied into op.Out. Each
// such fallback is counted (Fallbacks); in strict mode (SetStrict,
// LBRX_STRICT=1) it is an error wrapping ErrFallback instead.
func Run(op *Op) error {
	dev := op.Out.Device()
	rec := recordingOn(dev)
	if rec != nil {
		rec.add(op)
	}
	if dev == CPU() {
		return runCPU(op)
	}
	why := ErrUnsupported
	if ex, ok := dev.(Executor); ok {
		err := ex.Execute(op)
		if err == nil || !errors.Is(err, ErrUnsupported) {
			return err
		}
		why = err
		if rec == nil {
			if handled, err := decompose(op); handled {
				return err
			}
		}
	}
	if rec != nil {
		// A fallback reads the inputs back to the host, which a recorded
		// graph cannot replay without the host.
		return fmt.Errorf("%s cannot be recorded on %s: the device has no kernel for it (%w)", op, dev.Name(), ErrUnsupported)
	}
	if Strict() {
		return fmt.Errorf("%s on %s: %w (%w)", op.Name, dev.Name(), ErrFallback, why)
	}
	countFallback(dev, op.Name)
	host := &Op{Name: op.Name, Axes: op.Axes, Param: op.Param, Params: op.Params, Attrs: op.Attrs, Inputs: make([]*Array, len(op.Inputs))}
	for i, a := range op.Inputs {
		h, err := a.To(CPU())
		if err != nil {
			return fmt.Errorf("%s on %s (CPU fallback): %w", op.Name, dev.Name(), err)
		}
		host.Inputs[i] = h
	}
	var out *Array
	var err error
	if op.Name == "write_rows" || op.Name == "scatter_rows" {
		out, err = op.Out.To(CPU()) // written in place: start from its contents
	} else {
		out, err = Empty(CPU(), op.Out.dtype, op.Out.shape)
	}
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
