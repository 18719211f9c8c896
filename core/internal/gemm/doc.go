// Package gemm holds lbrx's float32 matrix-multiply kernels for the CPU.
//
// Sgemm is the entry point; SgemmRef is the portable reference every
// optimised path is tested against. SgemmHalf takes float16 or bfloat16
// inputs and widens each block just before packing it (as fast as
// float32: packing is a small part of the work).
//
// The algorithm is the classic packed, cache-blocked one. A is packed kc
// k steps at a time into panels of mr rows (mr values per k step), B into
// panels of nr columns; a register-blocked micro-kernel multiplies one A
// panel (kept in L1) by each B panel of an nb-wide block (kept in L2) and
// writes or accumulates an mr×nr tile of C. Zero padding in the packed
// panels lets the kernel always run full tiles; partial tiles go through
// a small buffer. Transposed operands are read in place by the packing
// step, never copied beforehand.
//
// Micro-kernels (Plan 9 assembly, chosen at run time with
// golang.org/x/sys/cpu, or forced with UseKernel):
//
//	avx512  14×32, 28 zmm accumulators, plus 8- and 4-row edge variants;
//	        A packed by 16×16 register transposes
//	avx2    6×16, 12 ymm accumulators (AVX2 + FMA)
//	neon    6×16, 24 q-register accumulators (arm64)
//	go      4×8 portable fallback (other architectures, the noasm tag)
//
// Problems with m·n·k of at least 96³ are split across Threads()
// goroutines: a wide C shares each packed A block among them (packed
// once, in parallel) and gives each its own column stripe and packed B; a
// tall C gives each goroutine its own rows. m == 1 or n == 1 goes to the
// matrix-vector path (SIMD dot products over four rows at a time, or
// axpy), split across goroutines for large matrices.
package gemm
