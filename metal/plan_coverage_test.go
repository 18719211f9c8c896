package metal

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
)

// TestEveryKernelIsPlanned keeps the library free of dead kernels: for
// every kernel Kernels() lists, an op of the matching kind, dtype and
// shape must be planned onto exactly that kernel. A kernel that no plan
// dispatches (as log_softmax and the 2-bit affine kernels once were) fails
// here; plan it or remove it.
func TestEveryKernelIsPlanned(t *testing.T) {
	dts := map[string]core.DType{"f32": core.F32, "f16": core.F16, "bf16": core.BF16}
	widths := map[string]core.DType{"x8": core.U8, "x16": core.F16, "x32": core.F32, "x64": core.F64}
	r := rand.New(rand.NewPCG(5, 5))
	for _, kernel := range Kernels() {
		t.Run(kernel, func(t *testing.T) {
			ds, err := planForKernel(t, r, kernel, dts, widths)
			require.NoError(t, err)
			var got []string
			for _, d := range ds {
				got = append(got, d.kernel)
			}
			assert.Contains(t, got, kernel, "no plan dispatches %s", kernel)
		})
	}
}

// planForKernel builds the op that kernel serves, from its name, and
// plans it.
func planForKernel(t *testing.T, r *rand.Rand, kernel string, dts, widths map[string]core.DType) ([]dispatch, error) {
	t.Helper()
	parts := strings.Split(kernel, "_")
	last := parts[len(parts)-1]
	dt := dts[last]
	op := func(name string, out *core.Array, in ...*core.Array) *core.Op {
		return &core.Op{Name: name, Inputs: in, Out: out}
	}
	switch {
	case parts[0] == "binary":
		name := strings.Join(parts[1:len(parts)-1], "_")
		return planOp(op(name, arr(t, dt, 2, 3), arr(t, dt, 2, 3), arr(t, dt, 2, 3)), false)
	case parts[0] == "unary":
		name := strings.Join(parts[1:len(parts)-1], "_")
		return planOp(op(name, arr(t, dt, 2, 3), arr(t, dt, 2, 3)), false)
	case parts[0] == "cast":
		return planOp(op("cast", arr(t, dts[parts[2]], 5), arr(t, dts[parts[1]], 5)), false)
	case parts[0] == "reduce":
		o := op(parts[1], arr(t, dt, 3), arr(t, dt, 3, 7))
		o.Axes = []int{1}
		return planOp(o, false)
	case kernel == "softmax_"+last || kernel == "log_softmax_"+last:
		o := op(strings.TrimSuffix(kernel, "_"+last), arr(t, dt, 3, 7), arr(t, dt, 3, 7))
		o.Axes = []int{1}
		return planOp(o, false)
	case kernel == "matmul_"+last || kernel == "matmul_simd_"+last:
		return planOp(op("matmul", arr(t, dt, 4, 6), arr(t, dt, 4, 5), arr(t, dt, 5, 6)), parts[1] == "simd")
	case kernel == "rms_norm_"+last:
		o := op("rms_norm", arr(t, dt, 2, 8), arr(t, dt, 2, 8), arr(t, dt, 8))
		o.Param = 1e-5
		return planOp(o, false)
	case kernel == "rope_"+last:
		return planOp(op("rope", arr(t, dt, 3, 2, 8), arr(t, dt, 3, 2, 8), arr(t, core.F32, 3, 4), arr(t, core.F32, 3, 4)), false)
	case kernel == "causal_attention_"+last:
		o := op("causal_attention", arr(t, dt, 2, 4, 16), arr(t, dt, 2, 4, 16), arr(t, dt, 2, 2, 16), arr(t, dt, 2, 2, 16))
		o.Param = 0.25
		return planOp(o, false)
	case parts[0] == "concat":
		w := widths[parts[1]]
		o := op("concat", arr(t, w, 2, 7), arr(t, w, 2, 3), arr(t, w, 2, 4))
		o.Axes = []int{1}
		return planOp(o, false)
	case parts[0] == "qmv" || parts[0] == "qmm":
		m := 1
		if parts[0] == "qmm" {
			m = qmvMaxRows + 1
		}
		var w *core.Array
		x := core.F32
		switch {
		case strings.HasPrefix(parts[1], "affine"):
			bits := int(parts[1][len("affine")] - '0')
			x = dt
			w, _ = affineWeight(t, r, dt, 5, 128, bits, 32)
		case kernel == parts[0]+"_q8_0_f32":
			w, _ = ggmlWeight(t, r, core.SchemeQ8_0, 5, 128)
		case kernel == parts[0]+"_q4_0_f32":
			w, _ = ggmlWeight(t, r, core.SchemeQ4_0, 5, 128)
		}
		k := 128
		for _, s := range GGMLBlockSchemes {
			if b, _ := GGMLBlockOf(s); kernel == parts[0]+"_"+b.Name+"_"+last {
				x, k = dt, 2*b.Values
				w, _ = ggmlBlockWeight(t, r, s, 5, 2)
			}
		}
		require.NotNil(t, w, "kernel %s: unknown quantized layout", kernel)
		return planQuantMatmul(arr(t, x, m, k), w, arr(t, x, m, 5))
	}
	t.Fatalf("kernel %s: no op is known to plan onto it (teach planForKernel, or remove the kernel)", kernel)
	return nil, nil
}
