package quant

// The regular assembly kernels (block_kernels*.s, block_decode_amd64.s,
// dot_amd64.s, half_kernels_*.s) are written by the program in
// _generate, a module of its own that the go tool skips: edit it, not
// the .s files, and run go generate. GOWORK=off: the workspace does not
// list that module.
//go:generate env GOWORK=off go run -C _generate . -out ..
