// Package cuda is lbrx's NVIDIA GPU backend, reached through purego (driver
// API, NVRTC, cuBLAS) with no cgo. Importing it registers one device per
// GPU, "cuda:0", "cuda:1", ...; where there is no driver or no GPU it
// registers a single unavailable "cuda" device that says why.
package cuda
