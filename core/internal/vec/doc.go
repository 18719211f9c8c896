// Package vec holds lbrx's vectorised float32 elementwise kernels for the
// CPU: exp, a softmax row, SiLU, GELU (tanh form), add, mul, and
// conversions between float32 and float16 / bfloat16 bit patterns.
//
// Each function has a portable Go reference (the *Ref functions) and, on
// amd64, an assembly body for whole vectors (16 elements with AVX-512, 8
// with AVX2+FMA+F16C, picked at run time) with the remainder run by the
// reference. Other architectures (arm64 included: Go's arm64 assembler
// lacks the vector float instructions exp needs) and the noasm tag use
// the references only.
package vec
