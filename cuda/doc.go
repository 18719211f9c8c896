// Package cuda is lbrx's NVIDIA GPU backend, reached through purego with no
// cgo: the driver API (libcuda.so.1) for contexts, streams, memory, modules
// and launches, NVRTC for compiling the kernels in kernels/*.cu at run
// time, and cuBLAS/cuBLASLt for dense matmul.
//
// Importing the package registers one core.Device per GPU, "cuda:0",
// "cuda:1", ... (kind "cuda", ranked above Metal and the CPU). Where the
// driver, a GPU or the libraries are missing it registers a single
// unavailable "cuda" device whose Status says why; nothing panics.
//
// Threading: CUDA contexts are current per OS thread, so every driver call
// for a device runs on one worker goroutine that locked its OS thread and
// owns the context; callers on any goroutine hand it closures.
//
// Execution: ops are queued on the device's stream; the host waits only in
// CopyToHost and Sync, where errors from queued work surface. Device memory
// comes from a per-device pool with size classes and a bounded cache
// (PoolStats); host<->device copies go through a ring of pinned staging
// buffers.
//
// Kernels follow core's op conventions (core/op.go): elementwise binary ops
// with broadcasting, comparisons and where over any strided views, unary
// math, casts, reductions over any axes, softmax/log_softmax over the last
// axis, matmul through cuBLASLt (row-major via the transpose identity;
// transposed views without copies), and "quantized_matmul" (y = x @ W^T)
// for MLX affine codes (any width through dequantize+GEMM; fast
// matrix-vector kernels for 4 and 8 bits) and ggml blocks of every type
// GGUF models use (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, IQ4_NL, Q2_K..Q6_K), read
// in place by matrix-vector and tiled matrix-matrix kernels. Ops or
// dtypes without a kernel return core.ErrUnsupported and core runs them on
// the CPU.
//
// Several GPUs: NCCL (libnccl.so.2) makes NCCL, a core.Communicator per
// GPU whose collectives are queued on the device's stream from its worker
// thread (NewNCCLGroup for the GPUs of this process; NCCLUniqueID and
// NewNCCL for ranks elsewhere). It has not yet run on a GPU.
//
// Environment: LBRX_LIBCUDA, LBRX_NVRTC, LBRX_CUBLAS, LBRX_CUBLASLT and
// LBRX_NCCL name a library file to use; LBRX_CUDA_LIB_DIR adds search directories
// (CUDA_PATH and CUDA_HOME are honoured too).
package cuda
