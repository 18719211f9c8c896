package cuda

import (
	"os"

	"github.com/lbrx/lbrx/core"
)

// gemvOn sends one-row products with a float weight read transposed (a
// decode step's x @ W^T) to quant.cu's gemv kernel instead of cuBLAS;
// LBRX_CUDA_GEMV=off keeps cuBLAS, for comparison.
var gemvOn = os.Getenv("LBRX_CUDA_GEMV") != "off"

const gemvRows = 8 // GEMV_ROWS in kernels/quant.cu

// canGEMV reports whether out = a @ b runs as gemv: a one row of K
// (contiguous, 16-byte aligned), b [K, N] the transpose of a contiguous
// 16-byte aligned weight W [N, K] (strides 1 and K), K a multiple of 8,
// F32, F16 or BF16, sizes within 32-bit indexing.
func canGEMV(a, b, out *core.Array) bool {
	dt := a.DType()
	if !gemvOn || (dt != core.F32 && dt != core.F16 && dt != core.BF16) || b.DType() != dt || out.DType() != dt {
		return false
	}
	if a.Rank() < 2 || b.Rank() != 2 {
		return false
	}
	bs, st := b.Shape(), b.Strides()
	k, n := bs[0], bs[1]
	if k == 0 || n == 0 || k%8 != 0 || a.NumElements() != k || out.NumElements() != n || !a.IsContiguous() {
		return false
	}
	if st[0] != 1 || (n > 1 && st[1] != k) || int64(n)*int64(k) >= 1<<31 {
		return false
	}
	return dataPtr(a)%16 == 0 && dataPtr(b)%16 == 0
}

// gemv launches y = W x for canGEMV's operands.
func (d *Device) gemv(a, b, out *core.Array) error {
	bs := b.Shape()
	k, n := bs[0], bs[1]
	args := (&kargs{}).ptr(dataPtr(a)).ptr(dataPtr(b)).ptr(dataPtr(out)).i32(n).i32(k)
	return d.launch("quant", a.DType(), "gemv_"+suffix(a.DType()), (n+gemvRows-1)/gemvRows, qmvWarps*32, args)
}
