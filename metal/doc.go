// Package metal is lbrx's Apple silicon GPU backend, reached through
// github.com/ebitengine/purego with no cgo. Importing it registers the
// device "metal" with core; on systems other than macOS the package still
// builds and registers, and reports "Metal requires macOS" as the reason
// the device is unavailable.
//
// On macOS the pieces are:
//
//   - Context: the GPU's device, command queue, BufferPool, kernel library
//     (the embedded metallib when it matches the embedded sources, else the
//     sources compiled at run time; see Load) and compiled pipelines.
//     DefaultContext backs the registered device.
//   - Buffer and Storage[T]: core.Storage in shared Metal buffers from the
//     pool (New, NewStorage), returned to it by Release or, as a safety net,
//     by a runtime cleanup, and only once the GPU no longer uses them.
//   - Zero copy: read-only, page-aligned host memory (a mapped model file)
//     becomes a Metal buffer without a copy on unified memory
//     (Context.Import, used by core's To through core.Importer).
//   - Execution (core.Executor): ops are planned in plain Go (kernel,
//     bindings, parameters, grid), encoded into the open command buffer and
//     committed every 32 dispatches. The host waits only in CopyToHost,
//     Sync, or before overwriting a buffer the GPU still uses; GPU failures
//     are returned there, naming the kernels of the failed command buffer.
//     Ops or layouts without a kernel return an error wrapping
//     core.ErrUnsupported and core runs them on the CPU (counted in
//     core.Fallbacks).
//   - MatMul (ComputeF32) and Context.QuantMatMul (MLX affine 4/8-bit,
//     ggml Q8_0/Q4_0) for direct use.
//
// The Objective-C bindings live in internal/mtl. The BufferPool, the op
// planner and the dispatch arithmetic are plain Go, tested on every OS;
// tests that need a GPU skip elsewhere and say so.
package metal
