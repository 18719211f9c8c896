package safetensors

import "github.com/lbrx/lbrx/core"

// dtypeDesc describes one safetensors dtype string.
type dtypeDesc struct {
	bits int // bits per element; sub-byte types pack several per byte
	// rank orders dtypes by alignment as the reference Dtype enum does;
	// the writer sorts by it, largest first.
	rank int
	core core.DType // core.Invalid when lbrx cannot hold the type
}

// dtypes lists every dtype the reference reader accepts (tensor.rs), in
// the reference enum's order.
var dtypes = map[string]dtypeDesc{
	"BOOL":        {8, 0, core.Bool},
	"F4":          {4, 1, core.Invalid},
	"F6_E2M3":     {6, 2, core.Invalid},
	"F6_E3M2":     {6, 3, core.Invalid},
	"U8":          {8, 4, core.U8},
	"I8":          {8, 5, core.I8},
	"F8_E5M2":     {8, 6, core.Invalid},
	"F8_E4M3":     {8, 7, core.Invalid},
	"F8_E8M0":     {8, 8, core.Invalid},
	"F8_E4M3FNUZ": {8, 9, core.Invalid},
	"F8_E5M2FNUZ": {8, 10, core.Invalid},
	"I16":         {16, 11, core.I16},
	"U16":         {16, 12, core.Invalid},
	"F16":         {16, 13, core.F16},
	"BF16":        {16, 14, core.BF16},
	"I32":         {32, 15, core.I32},
	"U32":         {32, 16, core.U32},
	"F32":         {32, 17, core.F32},
	"C64":         {64, 18, core.Invalid},
	"F64":         {64, 19, core.F64},
	"I64":         {64, 20, core.I64},
	"U64":         {64, 21, core.Invalid},
}

// rankOf returns the writer's sort rank of a core dtype.
func rankOf(d core.DType) int { return dtypes[d.String()].rank }
