package llama

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/core/gguf"
	"github.com/lbrx/lbrx/core/testfiles"
)

// TestGGUFTinyLlamaMatchesTransformers: tiny-llama-f32.gguf holds the
// weights of safetensors/tiny-llama with Q and K permuted by llama.cpp's
// converter, so its logits must be transformers' too.
func TestGGUFTinyLlamaMatchesTransformers(t *testing.T) {
	m := load(t, testfiles.Path(t, "gguf-models", "tiny-llama-f32.gguf"), Options{})
	assert.True(t, m.Config.GGMLRopeOrder)
	assert.Equal(t, 256, m.Config.VocabSize)
	assert.Equal(t, 128, m.Config.MaxPositions)
	logits, err := m.Forward(refIDs, nil)
	require.NoError(t, err)
	d := maxAbsDiff(f32Values(t, logits), reference(t))
	t.Logf("max |lbrx(gguf) - transformers| = %.3g", d)
	assert.LessOrEqual(t, d, 1e-4)

	// One token at a time through the cache gives the same rows.
	full := f32Values(t, logits)
	c := m.NewCache()
	for i, id := range refIDs {
		step, err := m.Forward([]int{id}, c)
		require.NoError(t, err)
		assert.InDeltaSlice(t, full[i*256:(i+1)*256], f32Values(t, step), 1e-5, "position %d", i)
	}
}

// TestGGUFConfigFromKeys checks the translation of the metadata against
// the config.json of the same model.
func TestGGUFConfigFromKeys(t *testing.T) {
	f, err := gguf.Open(testfiles.Path(t, "gguf-models", "small-llama", "small-llama-q8_0.gguf"))
	require.NoError(t, err)
	defer f.Close()
	got, tensors, err := FromGGUF(f)
	require.NoError(t, err)
	want, err := ReadConfig(testfiles.Path(t, "gguf-models", "small-llama", "hf", "config.json"))
	require.NoError(t, err)
	want.GGMLRopeOrder = true
	want.DType = core.Invalid
	assert.InDelta(t, want.RMSNormEps, got.RMSNormEps, 1e-12) // f32 in GGUF
	got.RMSNormEps = want.RMSNormEps
	assert.Equal(t, want, got)
	assert.Len(t, tensors, 3+2*9)
	q := tensors["model.layers.0.self_attn.q_proj.weight"]
	require.NotNil(t, q.Quant())
	assert.Equal(t, core.SchemeQ8_0, q.Quant().Scheme)
	assert.Equal(t, core.Shape{256, 256}, q.Quant().Shape)
}

// TestGGUFTiedOutput drops output.weight: the embedding becomes the
// output, as llama.cpp does.
func TestGGUFTiedOutput(t *testing.T) {
	src := testfiles.Path(t, "gguf-models", "tiny-llama-f32.gguf")
	f, err := gguf.Open(src)
	require.NoError(t, err)
	defer f.Close()
	w := gguf.NewWriter()
	for _, kv := range f.KVs() {
		require.NoError(t, w.Set(kv))
	}
	for _, ti := range f.Tensors() {
		if ti.Name == "output.weight" {
			continue
		}
		name := ti.Name
		require.NoError(t, w.AddTensor(name, ti.Type, ti.Shape, func() ([]byte, error) { return f.Bytes(name) }))
	}
	path := filepath.Join(t.TempDir(), "tied.gguf")
	require.NoError(t, w.WriteFile(path))
	m := load(t, path, Options{})
	assert.True(t, m.Config.TieWordEmbeddings)
	logits, err := m.Forward(refIDs[:3], nil)
	require.NoError(t, err)
	// Logit j of the last position is the final hidden state dotted with
	// embedding row j: check via a model whose lm_head is the embedding.
	cfg, tensors, err := FromGGUF(f)
	require.NoError(t, err)
	tensors["lm_head.weight"] = tensors["model.embed_tokens.weight"]
	ref, err := New(cfg, tensors, Options{Device: core.CPU()})
	require.NoError(t, err)
	want, err := ref.Forward(refIDs[:3], nil)
	require.NoError(t, err)
	assert.Equal(t, f32Values(t, want), f32Values(t, logits))
}

// modelSpec is a small Llama GGUF to damage: metadata and F32 tensors.
type modelSpec struct {
	kvs     []gguf.KV
	tensors []specTensor
}

type specTensor struct {
	name  string
	typ   gguf.Type
	shape core.Shape
}

func validSpec() *modelSpec {
	u32 := func(k string, v uint32) gguf.KV { return gguf.KV{Key: k, Type: gguf.Uint32, Value: v} }
	s := &modelSpec{kvs: []gguf.KV{
		{Key: "general.architecture", Type: gguf.String, Value: "llama"},
		u32("llama.context_length", 64),
		u32("llama.embedding_length", 32),
		u32("llama.block_count", 1),
		u32("llama.feed_forward_length", 64),
		u32("llama.rope.dimension_count", 8),
		u32("llama.attention.head_count", 4),
		u32("llama.attention.head_count_kv", 2),
		{Key: "llama.attention.layer_norm_rms_epsilon", Type: gguf.Float32, Value: float32(1e-5)},
		{Key: "llama.rope.freq_base", Type: gguf.Float32, Value: float32(10000)},
		{Key: "tokenizer.ggml.tokens", Type: gguf.Array, ElemType: gguf.String, Value: []string{"a", "b", "c", "d", "e", "f", "g", "h"}},
		u32("tokenizer.ggml.bos_token_id", 1),
	}}
	add := func(name string, shape ...int) {
		s.tensors = append(s.tensors, specTensor{name, gguf.F32, core.Shape(shape)})
	}
	add("token_embd.weight", 8, 32)
	add("output_norm.weight", 32)
	add("output.weight", 8, 32)
	add("blk.0.attn_norm.weight", 32)
	add("blk.0.attn_q.weight", 32, 32)
	add("blk.0.attn_k.weight", 16, 32)
	add("blk.0.attn_v.weight", 16, 32)
	add("blk.0.attn_output.weight", 32, 32)
	add("blk.0.ffn_norm.weight", 32)
	add("blk.0.ffn_gate.weight", 64, 32)
	add("blk.0.ffn_up.weight", 64, 32)
	add("blk.0.ffn_down.weight", 32, 64)
	return s
}

func (s *modelSpec) setKV(kv gguf.KV) *modelSpec {
	for i := range s.kvs {
		if s.kvs[i].Key == kv.Key {
			s.kvs[i] = kv
			return s
		}
	}
	s.kvs = append(s.kvs, kv)
	return s
}

func (s *modelSpec) dropKV(key string) *modelSpec {
	s.kvs = slices.DeleteFunc(s.kvs, func(kv gguf.KV) bool { return kv.Key == key })
	return s
}

func (s *modelSpec) tensor(name string, edit func(*specTensor)) *modelSpec {
	for i := range s.tensors {
		if s.tensors[i].name == name {
			if edit == nil {
				s.tensors = slices.Delete(s.tensors, i, i+1)
			} else {
				edit(&s.tensors[i])
			}
			return s
		}
	}
	s.tensors = append(s.tensors, specTensor{name: name})
	edit(&s.tensors[len(s.tensors)-1])
	return s
}

func (s *modelSpec) write(t testing.TB) string {
	t.Helper()
	w := gguf.NewWriter()
	for _, kv := range s.kvs {
		require.NoError(t, w.Set(kv))
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, st := range s.tensors {
		n := st.shape.NumElements() / st.typ.BlockSize() * st.typ.BlockBytes()
		b := make([]byte, n)
		if st.typ == gguf.F32 {
			for i := 0; i+4 <= n; i += 4 {
				binary.LittleEndian.PutUint32(b[i:], math.Float32bits(float32(r.NormFloat64()*0.1+1)))
			}
		}
		require.NoError(t, w.AddTensor(st.name, st.typ, st.shape, func() ([]byte, error) { return b, nil }))
	}
	path := filepath.Join(t.TempDir(), "m.gguf")
	require.NoError(t, w.WriteFile(path))
	return path
}

// TestGGUFMalformedModels: broken model files give errors naming the key
// or tensor at fault, never a panic.
func TestGGUFMalformedModels(t *testing.T) {
	m := load(t, validSpec().write(t), Options{})
	_, err := m.Forward([]int{1, 2, 3}, nil)
	require.NoError(t, err, "the valid spec runs")

	u32 := func(k string, v uint32) gguf.KV { return gguf.KV{Key: k, Type: gguf.Uint32, Value: v} }
	str := func(k, v string) gguf.KV { return gguf.KV{Key: k, Type: gguf.String, Value: v} }
	shape := func(s ...int) func(*specTensor) { return func(t *specTensor) { t.shape = s } }
	typ := func(ty gguf.Type, s ...int) func(*specTensor) {
		return func(t *specTensor) { t.typ, t.shape = ty, s }
	}
	cases := []struct {
		name string
		spec *modelSpec
		want string
	}{
		{"no architecture", validSpec().dropKV("general.architecture"), `key "general.architecture" is missing`},
		{"unknown architecture", validSpec().setKV(str("general.architecture", "mamba")), `"general.architecture" = "mamba"`},
		{"architecture not a string", validSpec().setKV(u32("general.architecture", 1)), `key "general.architecture" is missing or not a string`},
		{"no embedding length", validSpec().dropKV("llama.embedding_length"), `key "llama.embedding_length" is missing`},
		{"no block count", validSpec().dropKV("llama.block_count"), `key "llama.block_count" is missing`},
		{"no head count", validSpec().dropKV("llama.attention.head_count"), `key "llama.attention.head_count" is missing`},
		{"no ffn length", validSpec().dropKV("llama.feed_forward_length"), `key "llama.feed_forward_length" is missing`},
		{"no context length", validSpec().dropKV("llama.context_length"), `key "llama.context_length" is missing`},
		{"no rms eps", validSpec().dropKV("llama.attention.layer_norm_rms_epsilon"), `key "llama.attention.layer_norm_rms_epsilon" is missing`},
		{"string head count", validSpec().setKV(str("llama.attention.head_count", "4")), `key "llama.attention.head_count" is str, want an integer`},
		{"zero heads", validSpec().setKV(u32("llama.attention.head_count", 0)), `key "llama.attention.head_count" = 0 must be in [1, 2^24]`},
		{"huge layers", validSpec().setKV(gguf.KV{Key: "llama.block_count", Type: gguf.Uint64, Value: uint64(1) << 40}), `key "llama.block_count" = 1099511627776 is out of range`},
		{"negative layers", validSpec().setKV(gguf.KV{Key: "llama.block_count", Type: gguf.Int32, Value: int32(-1)}), `key "llama.block_count" = -1 is out of range`},
		{"kv heads do not divide", validSpec().setKV(u32("llama.attention.head_count_kv", 3)), `key "llama.attention.head_count_kv" = 3 must divide`},
		{"partial rope", validSpec().setKV(u32("llama.rope.dimension_count", 4)), `key "llama.rope.dimension_count" = 4`},
		{"value length", validSpec().setKV(u32("llama.attention.value_length", 16)), `key "llama.attention.value_length" = 16`},
		{"odd head size", validSpec().setKV(u32("llama.attention.key_length", 7)), `key "llama.attention.key_length": head size 7 must be even`},
		{"eps is a string", validSpec().setKV(str("llama.attention.layer_norm_rms_epsilon", "1e-5")), `key "llama.attention.layer_norm_rms_epsilon" is str, want a float`},
		{"negative eps", validSpec().setKV(gguf.KV{Key: "llama.attention.layer_norm_rms_epsilon", Type: gguf.Float32, Value: float32(-1)}), `key "llama.attention.layer_norm_rms_epsilon" = -1 must be non-negative`},
		{"zero rope base", validSpec().setKV(gguf.KV{Key: "llama.rope.freq_base", Type: gguf.Float32, Value: float32(0)}), `key "llama.rope.freq_base" = 0 must be positive`},
		{"yarn", validSpec().setKV(str("llama.rope.scaling.type", "yarn")), `key "llama.rope.scaling.type" = "yarn" is not supported`},
		{"linear without factor", validSpec().setKV(str("llama.rope.scaling.type", "linear")), `key "llama.rope.scaling.factor" is missing`},
		{"tokens not strings", validSpec().setKV(gguf.KV{Key: "tokenizer.ggml.tokens", Type: gguf.Array, ElemType: gguf.Int32, Value: []int32{1}}), `key "tokenizer.ggml.tokens" is`},
		{"bos a string", validSpec().setKV(str("tokenizer.ggml.bos_token_id", "1")), `key "tokenizer.ggml.bos_token_id" is str`},
		{"vocabulary too small for the embedding", validSpec().setKV(gguf.KV{Key: "tokenizer.ggml.tokens", Type: gguf.Array, ElemType: gguf.String, Value: []string{"a"}}), `tensor "token_embd.weight" has shape [8 32]`},
		{"missing q", validSpec().tensor("blk.0.attn_q.weight", nil), `tensor "blk.0.attn_q.weight" is missing`},
		{"missing embedding", validSpec().tensor("token_embd.weight", nil), `tensor "token_embd.weight"`},
		{"missing norm", validSpec().tensor("output_norm.weight", nil), `tensor "output_norm.weight" is missing`},
		{"missing layer", validSpec().setKV(u32("llama.block_count", 2)), `key "llama.block_count" = 2: 2 layers need 9 tensors each, the file holds 12 tensors`},
		{"layer count the file cannot hold", validSpec().setKV(u32("llama.block_count", 1<<24)), `key "llama.block_count" = 16777216`},
		{"extra layer", validSpec().tensor("blk.1.attn_norm.weight", shape(32)), `tensor "blk.1.attn_norm.weight" is not part of a llama model with 1 layers`},
		{"unknown tensor", validSpec().tensor("blk.0.attn_sinks.weight", shape(4)), `tensor "blk.0.attn_sinks.weight" is not part of a llama model`},
		{"wrong q shape", validSpec().tensor("blk.0.attn_q.weight", shape(32, 16)), `tensor "blk.0.attn_q.weight" has shape [32 16] (ggml ne [16 32]), the metadata implies [32 32]`},
		{"transposed down", validSpec().tensor("blk.0.ffn_down.weight", shape(64, 32)), `tensor "blk.0.ffn_down.weight" has shape [64 32]`},
		{"norm 2-D", validSpec().tensor("blk.0.ffn_norm.weight", shape(1, 32)), `tensor "blk.0.ffn_norm.weight" has shape [1 32]`},
		{"wrong bias shape", validSpec().tensor("blk.0.attn_q.bias", shape(16)), `tensor "blk.0.attn_q.bias" has shape [16]`},
		{"integer weights", validSpec().tensor("blk.0.attn_v.weight", typ(gguf.I32, 16, 32)), `tensor "blk.0.attn_v.weight" is I32`},
		{"type without a kernel form", validSpec().tensor("blk.0.attn_q.weight", typ(gguf.MXFP4, 32, 32)), `tensor "blk.0.attn_q.weight": type MXFP4 has no lbrx array form`},
		{"rope_freqs wrong shape", validSpec().tensor("rope_freqs.weight", shape(3)), `tensor "rope_freqs.weight" has shape [3], want [4]`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.spec.write(t)
			var err error
			require.NotPanics(t, func() {
				var m *Model
				if m, err = Load(path, Options{Device: core.CPU()}); err == nil {
					_ = m.Close()
				}
			})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Contains(t, err.Error(), path, "the error names the file")
		})
	}
}

// TestGGUFRopeFreqs: a rope_freqs tensor divides each pair's frequency.
func TestGGUFRopeFreqs(t *testing.T) {
	s := validSpec().tensor("rope_freqs.weight", func(st *specTensor) { st.typ, st.shape = gguf.F32, core.Shape{4} })
	f, err := gguf.Open(s.write(t))
	require.NoError(t, err)
	defer f.Close()
	cfg, _, err := FromGGUF(f)
	require.NoError(t, err)
	v, err := f.Float32("rope_freqs.weight")
	require.NoError(t, err)
	factors, err := v.Values()
	require.NoError(t, err)
	assert.Equal(t, factors, cfg.Rope.FreqFactors)
	plain := Rope{Theta: 10000, Type: "default", Factor: 1}.invFreq(8)
	got := cfg.Rope.invFreq(8)
	for i := range got {
		assert.Equal(t, plain[i]/factors[i], got[i], fmt.Sprint("pair ", i))
	}
}

// TestGGUFUnknownTensorType: a tensor type ggml does not know fails at
// open, naming the tensor.
func TestGGUFUnknownTensorType(t *testing.T) {
	path := validSpec().write(t)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	name := "blk.0.attn_v.weight"
	i := bytes.Index(b, []byte(name))
	require.Positive(t, i)
	at := i + len(name) + 4 + 2*8 // n_dims, then ne[0], ne[1]; the type follows
	require.Equal(t, uint32(gguf.F32), binary.LittleEndian.Uint32(b[at:]))
	binary.LittleEndian.PutUint32(b[at:], 99)
	require.NoError(t, os.WriteFile(path, b, 0o600))
	_, err = Load(path, Options{Device: core.CPU()})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `tensor "blk.0.attn_v.weight": unknown ggml type 99`)
}
