package metal

import (
	"encoding/binary"
)

// Go mirrors of the kernel parameter structs in shaders/lbrx_params.h,
// byte for byte (params_test.go compares the layout with a C++ build of the
// header). Pass them to a kernel with setBytes of Bytes().

// MaxRank is the highest rank the strided elementwise kernels take.
const MaxRank = 8

// Matmul flags (MatmulParams.Flags).
const (
	TransA uint32 = 1 // A is stored as KxM: A(m,k) = a[k*lda + m]
	TransB uint32 = 2 // B is stored as NxK: B(k,n) = b[n*ldb + k]
)

// UnaryParams describes a strided input and the contiguous output of the
// unary_* and cast_* kernels.
type UnaryParams struct {
	N       uint32 `c:"n"` // output elements
	Rank    uint32 `c:"rank"`
	Offset  uint32 `c:"offset"` // input offset, in elements
	_       uint32
	Shape   [MaxRank]uint32 `c:"shape"`
	Strides [MaxRank]int32  `c:"strides"` // input strides, in elements; 0 broadcasts
}

// BinaryParams describes two strided, broadcast inputs and the contiguous
// output of the binary_* kernels.
type BinaryParams struct {
	N        uint32          `c:"n"`
	Rank     uint32          `c:"rank"`
	AOffset  uint32          `c:"a_offset"`
	BOffset  uint32          `c:"b_offset"`
	Shape    [MaxRank]uint32 `c:"shape"`
	AStrides [MaxRank]int32  `c:"a_strides"`
	BStrides [MaxRank]int32  `c:"b_strides"`
}

// ReduceParams describes the [Rows, Cols] input of reduce_* and softmax_*.
type ReduceParams struct {
	Rows      uint32 `c:"rows"`
	Cols      uint32 `c:"cols"`
	RowStride uint32 `c:"row_stride"` // elements between row starts
	_         uint32
}

// MatmulParams describes C[z] = A[z] x B[z] for matmul_* and matmul_simd_*.
type MatmulParams struct {
	M            uint32 `c:"M"`
	N            uint32 `c:"N"`
	K            uint32 `c:"K"`
	Batch        uint32 `c:"batch"`
	LDA          uint32 `c:"lda"`
	LDB          uint32 `c:"ldb"`
	LDC          uint32 `c:"ldc"`
	Flags        uint32 `c:"flags"`          // TransA | TransB
	ABatchStride uint32 `c:"a_batch_stride"` // 0 broadcasts A over the batch
	BBatchStride uint32 `c:"b_batch_stride"`
	CBatchStride uint32 `c:"c_batch_stride"`
	_            uint32
}

// QuantParams describes y = x W^T for the qmv_* and qmm_* kernels.
type QuantParams struct {
	M          uint32 `c:"M"`
	N          uint32 `c:"N"`
	K          uint32 `c:"K"`
	GroupSize  uint32 `c:"group_size"`
	Bits       uint32 `c:"bits"`
	XRowStride uint32 `c:"x_row_stride"`
	_, _       uint32
}

// RMSNormParams describes the [Rows, Cols] input of rms_norm_*.
type RMSNormParams struct {
	Rows uint32  `c:"rows"`
	Cols uint32  `c:"cols"`
	Eps  float32 `c:"eps"`
	_    uint32
}

// RoPEParams describes the rotation pairs of rope_*.
type RoPEParams struct {
	Pairs     uint32 `c:"pairs"`     // head vectors x HalfDim
	HalfDim   uint32 `c:"half_dim"`  // half the head size
	Heads     uint32 `c:"heads"`     // head vectors per position
	Positions uint32 `c:"positions"` // rows of the cos/sin tables
}

// AttentionParams describes causal_attention_*: q [batch, Tq, Hq, D], k and
// v [batch, Tk, Hkv, D], Rows = batch*Tq*Hq query rows; Window and SoftCap
// as core.AttentionParams (0 = none).
type AttentionParams struct {
	Rows    uint32  `c:"rows"`
	Tq      uint32  `c:"tq"`
	Hq      uint32  `c:"hq"`
	Tk      uint32  `c:"tk"`
	Hkv     uint32  `c:"hkv"`
	D       uint32  `c:"d"`
	Scale   float32 `c:"scale"`
	Window  uint32  `c:"window"`
	SoftCap float32 `c:"softcap"`
	_       uint32
}

// ConcatParams describes one input of concat_*: N elements of a strided
// view (as UnaryParams) copied to output blocks of Block elements,
// DstStride apart from DstOffset on.
type ConcatParams struct {
	N         uint32 `c:"n"`
	Rank      uint32 `c:"rank"`
	Offset    uint32 `c:"offset"`
	Block     uint32 `c:"block"`
	DstOffset uint32 `c:"dst_offset"`
	DstStride uint32 `c:"dst_stride"`
	_, _      uint32
	Shape     [MaxRank]uint32 `c:"shape"`
	Strides   [MaxRank]int32  `c:"strides"`
}

// Bytes returns p as the kernel reads it (little-endian, as every Apple GPU is).
func (p *UnaryParams) Bytes() []byte { return paramBytes(p) }

// Bytes returns p as the kernel reads it.
func (p *BinaryParams) Bytes() []byte { return paramBytes(p) }

// Bytes returns p as the kernel reads it.
func (p *ReduceParams) Bytes() []byte { return paramBytes(p) }

// Bytes returns p as the kernel reads it.
func (p *MatmulParams) Bytes() []byte { return paramBytes(p) }

// Bytes returns p as the kernel reads it.
func (p *QuantParams) Bytes() []byte { return paramBytes(p) }

// Bytes returns p as the kernel reads it.
func (p *RMSNormParams) Bytes() []byte { return paramBytes(p) }

// Bytes returns p as the kernel reads it.
func (p *RoPEParams) Bytes() []byte { return paramBytes(p) }

// Bytes returns p as the kernel reads it.
func (p *AttentionParams) Bytes() []byte { return paramBytes(p) }

// Bytes returns p as the kernel reads it.
func (p *ConcatParams) Bytes() []byte { return paramBytes(p) }

func paramBytes(p any) []byte {
	b, err := binary.Append(nil, binary.LittleEndian, p)
	if err != nil { // only fixed-size fields: cannot happen
		panic("metal: encoding kernel params: " + err.Error())
	}
	return b
}
