package core

// Metadata travels with a tensor through views, device moves, saving and
// loading.
type Metadata struct {
	// Name is the tensor's name in its model file, if any.
	Name string
	// DimNames optionally names each dimension ("batch", "seq", ...); when
	// set its length equals the tensor's rank and views keep it in step.
	DimNames []string
	// Quant is set when the tensor holds quantized codes rather than values.
	Quant *QuantizationInfo
}

// clone returns a copy whose DimNames slice is not shared.
func (m Metadata) clone() Metadata {
	m.DimNames = append([]string(nil), m.DimNames...)
	if len(m.DimNames) == 0 {
		m.DimNames = nil
	}
	return m
}

// Scheme names a quantization layout.
type Scheme string

// Quantization schemes. FORMATS.md sections 2-4 give the exact layouts.
const (
	// SchemeAffine is MLX's group-wise affine layout: codes packed LSB-first
	// into uint32 along each row, w = scale*q + bias per group.
	SchemeAffine Scheme = "affine"
	// SchemeQ8_0, SchemeQ4_0 and SchemeQ4_1 are ggml's 32-value blocks,
	// stored as raw block bytes (U8) with the scales inside the blocks.
	SchemeQ8_0 Scheme = "ggml_q8_0"
	SchemeQ4_0 Scheme = "ggml_q4_0"
	SchemeQ4_1 Scheme = "ggml_q4_1"
	// The other ggml block types lbrx runs in place (GGUF models). Q5_0,
	// Q5_1 and IQ4_NL have 32-value blocks; the K-quants (Q2_K..Q6_K) have
	// 256-value super-blocks. Layouts: ggml-common.h, FORMATS.md section 4.
	SchemeQ5_0   Scheme = "ggml_q5_0"
	SchemeQ5_1   Scheme = "ggml_q5_1"
	SchemeQ2_K   Scheme = "ggml_q2_k"   //nolint:revive // ggml's type name
	SchemeQ3_K   Scheme = "ggml_q3_k"   //nolint:revive // ggml's type name
	SchemeQ4_K   Scheme = "ggml_q4_k"   //nolint:revive // ggml's type name
	SchemeQ5_K   Scheme = "ggml_q5_k"   //nolint:revive // ggml's type name
	SchemeQ6_K   Scheme = "ggml_q6_k"   //nolint:revive // ggml's type name
	SchemeIQ4_NL Scheme = "ggml_iq4_nl" //nolint:revive // ggml's type name
	// SchemeF16 and SchemeBF16 are plain half-precision rows (ggml's F16
	// and BF16) marked as one-value blocks, so that a float32 model runs
	// the quantized matmul on them in place (converting in the kernel's
	// inner loop) instead of widening a copy at load.
	SchemeF16  Scheme = "ggml_f16"
	SchemeBF16 Scheme = "ggml_bf16"
)

// QuantizationInfo describes how a tensor's stored codes map to values. It
// lives in core so that a backend can run quantized kernels without
// importing the quant module.
type QuantizationInfo struct {
	Scheme    Scheme
	Bits      int
	GroupSize int
	// Shape is the logical (dequantized) shape, e.g. [out, in] for a weight.
	Shape Shape
	// Scales and Biases (MLX form, w = s*q + b) are [..., in/GroupSize] in
	// the model dtype; nil for ggml blocks, which carry their own.
	Scales *Array
	Biases *Array
	// ZeroPoints holds the zero-point form (w = s*(q - z)) when a model was
	// stored that way; z = -b/s. Either Biases or ZeroPoints may be set.
	ZeroPoints *Array
}

// clone copies the struct; the arrays are immutable handles and are shared.
func (q *QuantizationInfo) clone() *QuantizationInfo {
	if q == nil {
		return nil
	}
	c := *q
	c.Shape = q.Shape.Clone()
	return &c
}
