package metal

import (
	"structs"
	"unsafe"
)

// Go mirrors of the kernel parameter structs in shaders/lbrx_params.h,
// field for field (only 32-bit fields, so no padding can differ). The
// encoder passes them with setBytes:length:atIndex:.

const maxRank = 8 // LBRX_MAX_RANK

// Matmul flags (LBRX_TRANS_A, LBRX_TRANS_B).
const (
	transA uint32 = 1
	transB uint32 = 2
)

type unaryParams struct {
	_       structs.HostLayout
	N       uint32
	Rank    uint32
	Offset  uint32
	Pad0    uint32
	Shape   [maxRank]uint32
	Strides [maxRank]int32
}

type binaryParams struct {
	_        structs.HostLayout
	N        uint32
	Rank     uint32
	AOffset  uint32
	BOffset  uint32
	Shape    [maxRank]uint32
	AStrides [maxRank]int32
	BStrides [maxRank]int32
}

type reduceParams struct {
	_         structs.HostLayout
	Rows      uint32
	Cols      uint32
	RowStride uint32
	Pad0      uint32
}

type matmulParams struct {
	_            structs.HostLayout
	M, N, K      uint32
	Batch        uint32
	LDA, LDB     uint32
	LDC          uint32
	Flags        uint32
	ABatchStride uint32
	BBatchStride uint32
	CBatchStride uint32
	Pad0         uint32
}

type quantParams struct {
	_          structs.HostLayout
	M, N, K    uint32
	GroupSize  uint32
	Bits       uint32
	XRowStride uint32
	Pad0, Pad1 uint32
}

// paramBytes copies a params struct into the bytes setBytes sends.
func paramBytes[P unaryParams | binaryParams | reduceParams | matmulParams | quantParams](p *P) []byte {
	b := make([]byte, unsafe.Sizeof(*p))
	copy(b, unsafe.Slice((*byte)(unsafe.Pointer(p)), len(b)))
	return b
}
