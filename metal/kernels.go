package metal

import (
	"fmt"
	"strings"
)

// Size is a Metal MTLSize: a grid of threadgroups or a threadgroup's shape.
type Size struct{ X, Y, Z int }

// Launch is how one kernel call is dispatched: dispatchThreadgroups:Groups
// threadsPerThreadgroup:Threads, with ThreadgroupMem bytes set at
// threadgroup index 0 (none when 0). Empty reports that the call has no
// output and must not be dispatched.
type Launch struct {
	Groups         Size
	Threads        Size
	ThreadgroupMem int
}

// Empty reports whether the launch has no threadgroups.
func (l Launch) Empty() bool { return l.Groups.X*l.Groups.Y*l.Groups.Z == 0 }

// Threadgroup memory of the kernels that use it (shaders/README.md).
const (
	ReduceThreadgroupMem     = 128
	MatmulThreadgroupMem     = 4608
	MatmulSimdThreadgroupMem = 9472
	QMMThreadgroupMem        = 4608
)

// The causal_attention kernels' limits (shaders/transformer.metal): head
// sizes up to AttentionMaxHead (16 output dimensions per lane), keys
// visited AttentionChunk at a time.
const (
	AttentionMaxHead = 512
	AttentionChunk   = 1024
	// AttentionThreads is the threadgroup width causal_attention_* is
	// launched with: 4 simdgroups, each scoring and summing every fourth
	// key of a chunk.
	AttentionThreads = 128
)

// AttentionThreadgroupMem is the threadgroup memory of causal_attention_*
// for head size d and threads per threadgroup: the query row (d floats), a
// chunk of AttentionChunk scores, 32 floats of fold scratch and one partial
// output row (d floats) per simdgroup, rounded up to 16 bytes.
func AttentionThreadgroupMem(d, threads int) int {
	floats := d + AttentionChunk + 32 + ceilDiv(threads, 32)*d
	return ceilDiv(floats*4, 16) * 16
}

// DefaultThreads is the threadgroup width of elementwise and row kernels.
const DefaultThreads = 256

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// ElementwiseLaunch dispatches the binary_*, unary_* and cast_* kernels
// over n output elements with threads per threadgroup (0: DefaultThreads).
func ElementwiseLaunch(n, threads int) Launch {
	if threads <= 0 {
		threads = DefaultThreads
	}
	return Launch{Groups: Size{ceilDiv(n, threads), 1, 1}, Threads: Size{threads, 1, 1}}
}

// ReduceLaunch dispatches reduce_*, softmax_* and log_softmax_* over rows rows, one
// threadgroup each, with threads (a multiple of 32 up to 1024; 0:
// DefaultThreads) per row.
func ReduceLaunch(rows, threads int) Launch {
	if threads <= 0 {
		threads = DefaultThreads
	}
	return Launch{Groups: Size{rows, 1, 1}, Threads: Size{threads, 1, 1}, ThreadgroupMem: ReduceThreadgroupMem}
}

// MatmulLaunch dispatches matmul_* (simd false) or matmul_simd_* (simd true).
func MatmulLaunch(p *MatmulParams, simd bool) Launch {
	g := Size{ceilDiv(int(p.N), 32), ceilDiv(int(p.M), 32), int(p.Batch)}
	if simd {
		return Launch{Groups: g, Threads: Size{128, 1, 1}, ThreadgroupMem: MatmulSimdThreadgroupMem}
	}
	return Launch{Groups: g, Threads: Size{16, 16, 1}, ThreadgroupMem: MatmulThreadgroupMem}
}

// QMVLaunch dispatches qmv_* (matrix-vector: 8 rows of W per threadgroup).
func QMVLaunch(p *QuantParams) Launch {
	return Launch{Groups: Size{ceilDiv(int(p.N), 8), int(p.M), 1}, Threads: Size{64, 1, 1}}
}

// QMMLaunch dispatches qmm_* (matrix-matrix, 32x32 output tiles).
func QMMLaunch(p *QuantParams) Launch {
	return Launch{Groups: Size{ceilDiv(int(p.N), 32), ceilDiv(int(p.M), 32), 1}, Threads: Size{16, 16, 1},
		ThreadgroupMem: QMMThreadgroupMem}
}

// RMSNormLaunch dispatches rms_norm_* over rows rows, one threadgroup each
// (as ReduceLaunch).
func RMSNormLaunch(rows, threads int) Launch { return ReduceLaunch(rows, threads) }

// RoPELaunch dispatches rope_* over pairs rotation pairs, one thread each.
func RoPELaunch(pairs, threads int) Launch { return ElementwiseLaunch(pairs, threads) }

// AttentionLaunch dispatches causal_attention_* with head size d over rows
// query rows, one threadgroup each, with threads (a multiple of 32 up to
// 1024, few enough that AttentionThreadgroupMem stays within 32 KiB; 0:
// AttentionThreads) per row.
func AttentionLaunch(rows, d, threads int) Launch {
	if threads <= 0 {
		threads = AttentionThreads
	}
	return Launch{Groups: Size{rows, 1, 1}, Threads: Size{threads, 1, 1}, ThreadgroupMem: AttentionThreadgroupMem(d, threads)}
}

// ConcatLaunch dispatches concat_* over the n elements of one input.
func ConcatLaunch(n, threads int) Launch { return ElementwiseLaunch(n, threads) }

// Kernel op names, as they appear in kernel function names.
var (
	BinaryOps = []string{"add", "sub", "mul", "div", "maximum", "minimum", "pow"}
	UnaryOps  = []string{"neg", "abs", "exp", "log", "sqrt", "rsqrt", "sin", "cos", "tanh", "sigmoid",
		"relu", "gelu", "gelu_tanh", "silu"}
	ReduceOps   = []string{"sum", "max", "min", "mean"}
	FloatDTypes = []string{"f32", "f16", "bf16"}
	// TransformerOps have one kernel <op>_<dt> per float dtype.
	TransformerOps = []string{"rms_norm", "rope", "causal_attention"}
	// ConcatWidths name the concat_* kernels by element size in bits:
	// concat copies bits, so one kernel serves every dtype of a size.
	ConcatWidths = []string{"x8", "x16", "x32", "x64"}
)

// Kernels lists every kernel function the shaders define (the MSL check
// verifies this list against the sources).
func Kernels() []string {
	var ks []string
	for _, dt := range FloatDTypes {
		for _, op := range BinaryOps {
			ks = append(ks, "binary_"+op+"_"+dt)
		}
		for _, op := range UnaryOps {
			ks = append(ks, "unary_"+op+"_"+dt)
		}
		for _, op := range ReduceOps {
			ks = append(ks, "reduce_"+op+"_"+dt)
		}
		for _, to := range FloatDTypes {
			if to != dt {
				ks = append(ks, "cast_"+dt+"_"+to)
			}
		}
		for _, op := range TransformerOps {
			ks = append(ks, op+"_"+dt)
		}
		ks = append(ks, "softmax_"+dt, "log_softmax_"+dt, "matmul_"+dt, "matmul_simd_"+dt)
		for _, b := range []string{"2", "4", "8"} {
			ks = append(ks, "qmv_affine"+b+"_"+dt, "qmm_affine"+b+"_"+dt)
		}
		for _, s := range GGMLBlockSchemes {
			b := ggmlBlocks[s]
			ks = append(ks, "qmv_"+b.Name+"_"+dt, "qmm_"+b.Name+"_"+dt)
		}
	}
	ks = append(ks, "qmv_q8_0_f32", "qmm_q8_0_f32", "qmv_q4_0_f32", "qmm_q4_0_f32")
	for _, w := range ConcatWidths {
		ks = append(ks, "concat_"+w)
	}
	return ks
}

// KernelName builds a kernel name from its parts, e.g.
// KernelName("binary", "add", "f32") = "binary_add_f32", and checks that
// the kernel exists.
func KernelName(parts ...string) (string, error) {
	name := strings.Join(parts, "_")
	for _, k := range Kernels() {
		if k == name {
			return name, nil
		}
	}
	return "", fmt.Errorf("metal: no kernel %q", name)
}
