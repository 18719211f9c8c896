package quant

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/core/testfiles"
)

type refTensor struct {
	Name string `json:"name"`
	Type string `json:"type"`
	Ne   []int  `json:"ne"`
	Src  string `json:"src"`
}

// blockFixtures lists every tensor of a ggml block type of the shared
// manifest; affineOnly keeps the q8_0/q4_0/q4_1 ones.
func blockFixtures(t *testing.T, affineOnly ...bool) []refTensor {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testfiles.Dir(t), "gguf", "ref", "manifest.json"))
	require.NoError(t, err)
	var m struct {
		Files []struct {
			Tensors []refTensor `json:"tensors"`
		} `json:"files"`
	}
	require.NoError(t, json.Unmarshal(b, &m))
	var out []refTensor
	for _, f := range m.Files {
		for _, tn := range f.Tensors {
			s := schemeOf(tn.Type)
			if s != "" && (len(affineOnly) == 0 || repackable(s)) {
				out = append(out, tn)
			}
		}
	}
	if len(affineOnly) > 0 {
		require.GreaterOrEqual(t, len(out), 6, "expected the q8_0/q4_0/q4_1 fixtures")
	} else {
		require.GreaterOrEqual(t, len(out), 15, "expected a fixture of every ggml block type")
	}
	return out
}

// schemeOf maps ggml's type name (as the manifest and gguf.Type.String
// spell it, any case) to its scheme.
func schemeOf(typ string) core.Scheme {
	return map[string]core.Scheme{
		"q8_0": core.SchemeQ8_0, "q4_0": core.SchemeQ4_0, "q4_1": core.SchemeQ4_1,
		"q5_0": core.SchemeQ5_0, "q5_1": core.SchemeQ5_1, "q2_k": core.SchemeQ2_K,
		"q3_k": core.SchemeQ3_K, "q4_k": core.SchemeQ4_K, "q5_k": core.SchemeQ5_K,
		"q6_k": core.SchemeQ6_K, "iq4_nl": core.SchemeIQ4_NL,
	}[strings.ToLower(typ)]
}

// numpyShape reverses ggml's ne (dropping trailing 1s beyond the rank).
func numpyShape(ne []int) core.Shape {
	n := len(ne)
	for n > 1 && ne[n-1] == 1 {
		n--
	}
	s := make(core.Shape, n)
	for i := range n {
		s[i] = ne[n-1-i]
	}
	return s
}

func TestBlocksBitExactWithGGML(t *testing.T) {
	for _, fx := range blockFixtures(t) {
		t.Run(fx.Name, func(t *testing.T) {
			s := schemeOf(fx.Type)
			src := readRefF32(t, fx.Name+".src.f32")
			want := readRef(t, fx.Name+".bin")
			ref := readRefF32(t, fx.Name+".f32")
			dec := make([]float32, len(src))
			require.NoError(t, DecodeBlocks(s, dec, want))
			for i := range ref {
				require.Equalf(t, math.Float32bits(ref[i]), math.Float32bits(dec[i]), "value %d", i)
			}

			got := make([]byte, len(want))
			if encoders[s] == nil {
				// Decoding is checked above; this scheme has no encoder.
				require.ErrorContains(t, EncodeBlocks(s, got, src), "no encoder")
				return
			}
			require.NoError(t, EncodeBlocks(s, got, src))
			require.Equal(t, want, got, "encoded blocks differ from ggml's")

			// Through the Array API, with the logical numpy shape.
			shape := numpyShape(fx.Ne)
			wt, err := core.FromSlice(src, shape...)
			require.NoError(t, err)
			qa, err := QuantizeBlocks(wt.Array(), s)
			require.NoError(t, err)
			b, err := qa.Bytes()
			require.NoError(t, err)
			require.Equal(t, want, b)
			require.Equal(t, shape, qa.Quant().Shape)
			deq, err := Dequantize(qa)
			require.NoError(t, err)
			require.Equal(t, shape, deq.Shape())
			dv, err := float32s(deq)
			require.NoError(t, err)
			assert.Equal(t, ref, dv)
		})
	}
}

func TestBlocksToAffineLossless(t *testing.T) {
	for _, fx := range blockFixtures(t, true) {
		for _, dt := range []core.DType{core.F32, core.F16} {
			t.Run(fx.Name+"/"+dt.String(), func(t *testing.T) {
				s := schemeOf(fx.Type)
				shape := numpyShape(fx.Ne)
				blocks, err := FromBlocks(readRef(t, fx.Name+".bin"), s, shape)
				require.NoError(t, err)
				aff, err := BlocksToAffine(blocks, dt)
				require.NoError(t, err)
				qi := aff.Quant()
				require.Equal(t, core.SchemeAffine, qi.Scheme)
				require.Equal(t, 32, qi.GroupSize)
				require.Equal(t, schemeBits(s), qi.Bits)
				require.Equal(t, dt, qi.Scales.DType())

				ref := readRefF32(t, fx.Name+".f32")
				got, err := DequantizeFloat32(aff)
				require.NoError(t, err)
				gv, err := got.Values()
				require.NoError(t, err)
				require.Len(t, gv, len(ref))
				// Equal as numbers: where ggml computes 0*d with d < 0 it
				// gets -0, MLX's d*8 + (-8d) gives +0.
				for i := range ref {
					require.Equalf(t, ref[i], gv[i], "value %d", i)
				}
				if dt == core.F32 { // MLX's own dequantization, in the scales' dtype
					d, err := Dequantize(aff)
					require.NoError(t, err)
					dv, err := float32s(d)
					require.NoError(t, err)
					assert.Equal(t, ref, dv)
				}
			})
		}
	}
}

func TestBlocksErrors(t *testing.T) {
	_, err := FromBlocks(make([]byte, 17), core.SchemeQ4_0, core.Shape{32})
	require.ErrorContains(t, err, "needs 18 bytes")
	_, err = FromBlocks(nil, core.SchemeAffine, core.Shape{32})
	require.ErrorContains(t, err, "not a ggml block scheme")
	w, err := core.Zeros[float32](2, 40)
	require.NoError(t, err)
	_, err = QuantizeBlocks(w.Array(), core.SchemeQ8_0)
	require.ErrorContains(t, err, "multiple of 32")
	require.Error(t, EncodeBlocks(core.SchemeQ8_0, make([]byte, 33), make([]float32, 32)))
	require.Error(t, DecodeBlocks(core.SchemeQ8_0, make([]float32, 32), make([]byte, 35)))
	b, err := FromBlocks(make([]byte, 34), core.SchemeQ8_0, core.Shape{32})
	require.NoError(t, err)
	_, err = BlocksToAffine(b, core.BF16)
	require.ErrorContains(t, err, "BF16")
}
