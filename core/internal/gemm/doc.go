// Package gemm holds lbrx's float32 matrix-multiply kernels for the CPU.
//
// Sgemm is the entry point; SgemmRef is the portable reference every
// optimised path is tested against.
package gemm
