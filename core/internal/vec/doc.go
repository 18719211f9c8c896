// Package vec holds lbrx's vectorised float32 elementwise kernels for the
// CPU: exp, a softmax row, SiLU, GELU (tanh form), add, mul, and
// conversions between float32 and float16 / bfloat16 bit patterns.
//
// Each function has a portable Go reference (the *Ref functions) and, on
// amd64 with AVX-512, an assembly body for whole 16-element vectors with
// the remainder run by the reference. Build with the noasm tag to use
// the references only.
package vec
