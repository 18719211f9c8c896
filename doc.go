// Package lbrx is the root of the lbrx repository: a tensor library for Go
// that runs on the CPU everywhere, on Apple silicon GPUs through Metal and
// on NVIDIA GPUs through CUDA, without cgo.
//
// The library lives in the modules below this directory (see README.md):
//
//	core/           tensors, devices, CPU backend, model files
//	quant/          quantization and quantized matmul
//	metal/, cuda/   GPU backends that register with core at init
//	integration/    parity suite over every available device
//	tools/          the lbrx command and the shader toolchain
//
// This root module holds the build scripts (magefile*.go, run with
// `go tool mage`) and no library code.
package lbrx
