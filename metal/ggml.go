package metal

import "github.com/lbrx/lbrx/core"

// GGMLBlock describes one ggml block type the qmv_<Name>_<dt> and
// qmm_<Name>_<dt> kernels of shaders/quant.metal read in place.
type GGMLBlock struct {
	Name   string // kernel name part
	Values int    // values per block
	Bytes  int    // bytes per block
}

// ggmlBlocks are the block types with kernels for every float dtype of x
// (Q8_0 and Q4_0 have their own f32 kernels). Layouts: ggml-common.h,
// docs/FORMATS.md.
var ggmlBlocks = map[core.Scheme]GGMLBlock{
	core.SchemeQ4_1:   {"q4_1", 32, 20},
	core.SchemeQ5_0:   {"q5_0", 32, 22},
	core.SchemeQ5_1:   {"q5_1", 32, 24},
	core.SchemeIQ4_NL: {"iq4_nl", 32, 18},
	core.SchemeQ2_K:   {"q2_k", 256, 84},
	core.SchemeQ3_K:   {"q3_k", 256, 110},
	core.SchemeQ4_K:   {"q4_k", 256, 144},
	core.SchemeQ5_K:   {"q5_k", 256, 176},
	core.SchemeQ6_K:   {"q6_k", 256, 210},
}

// GGMLBlockSchemes lists the schemes of ggmlBlocks in kernel order.
var GGMLBlockSchemes = []core.Scheme{
	core.SchemeQ4_1, core.SchemeQ5_0, core.SchemeQ5_1, core.SchemeIQ4_NL,
	core.SchemeQ2_K, core.SchemeQ3_K, core.SchemeQ4_K, core.SchemeQ5_K, core.SchemeQ6_K,
}

// GGMLBlockOf returns the block type of a scheme with kernels here.
func GGMLBlockOf(s core.Scheme) (GGMLBlock, bool) {
	b, ok := ggmlBlocks[s]
	return b, ok
}
