package llama

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/core/gguf"
	"github.com/lbrx/lbrx/core/npy"
	"github.com/lbrx/lbrx/core/testfiles"
	"github.com/lbrx/lbrx/quant"
)

// writeTypes are the --pure types `lbrx quantize` writes, with the shared
// llama-quantize mix of the same name (whose tensors of that type must
// match byte for byte).
var writeTypes = []struct {
	name string
	typ  gguf.Type
	mix  string
}{
	{"q4_0", gguf.Q4_0, "q4_0"}, {"q4_1", gguf.Q4_1, "q4_1"}, {"q5_0", gguf.Q5_0, "q5_0"}, {"q5_1", gguf.Q5_1, "q5_1"},
	{"q8_0", gguf.Q8_0, "q8_0"}, {"q4_k", gguf.Q4K, "q4_k_m"}, {"q5_k", gguf.Q5K, "q5_k_m"}, {"q6_k", gguf.Q6K, "q6_k"},
}

// vocabulary returns the tokenizer.* pairs of a GGUF.
func vocabulary(t *testing.T, path string) []gguf.KV {
	t.Helper()
	f, err := gguf.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var out []gguf.KV
	for _, kv := range f.KVs() {
		if strings.HasPrefix(kv.Key, "tokenizer.") {
			out = append(out, kv)
		}
	}
	return out
}

// writeSmallLlama writes gguf-models/small-llama/hf as a GGUF of type typ.
func writeSmallLlama(t *testing.T, typ gguf.Type) string {
	t.Helper()
	dir := testfiles.Path(t, "gguf-models", "small-llama", "hf")
	cfg, err := ReadConfig(filepath.Join(dir, "config.json"))
	require.NoError(t, err)
	qm, err := quant.LoadModel(dir)
	require.NoError(t, err)
	defer qm.Close()
	out := filepath.Join(t.TempDir(), "small-llama-"+strings.ToLower(typ.String())+".gguf")
	require.NoError(t, WriteGGUF(out, cfg, qm.Tensors, GGUFWriteOptions{Type: typ, Name: "lbrx-test-llama",
		Vocabulary: vocabulary(t, testfiles.Path(t, "gguf-models", "small-llama", "small-llama-f16.gguf"))}))
	return out
}

// sameTensor requires tensor name of a and b to have the same type,
// shape and bytes.
func sameTensor(t *testing.T, a, b *gguf.File, name string) {
	t.Helper()
	ia, ok := a.Info(name)
	require.True(t, ok, name)
	ib, ok := b.Info(name)
	require.True(t, ok, name)
	assert.Equal(t, ib.Type, ia.Type, name)
	assert.Equal(t, ib.Shape, ia.Shape, name)
	ba, err := a.Bytes(name)
	require.NoError(t, err)
	bb, err := b.Bytes(name)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(ba, bb), "%s: %v bytes differ", name, ia.Type)
}

// TestWriteGGUFF16MatchesConverter: with F16 weights the file must hold
// the converter's own tensors (small-llama-f16.gguf), Q/K permutation
// included, and run with the converter file's logits.
func TestWriteGGUFF16MatchesConverter(t *testing.T) {
	path := writeSmallLlama(t, gguf.F16)
	got, err := gguf.Open(path)
	require.NoError(t, err)
	defer got.Close()
	ref, err := gguf.Open(testfiles.Path(t, "gguf-models", "small-llama", "small-llama-f16.gguf"))
	require.NoError(t, err)
	defer ref.Close()
	assert.ElementsMatch(t, ref.Names(), got.Names())
	for _, n := range ref.Names() {
		sameTensor(t, got, ref, n)
	}
	for _, kv := range ref.KVs() {
		g, ok := got.Get(kv.Key)
		if assert.True(t, ok, kv.Key) {
			assert.Equal(t, kv, g, kv.Key)
		}
	}
}

// TestWriteGGUFMatchesLlamaQuantize: every tensor lbrx writes in a type
// equals, byte for byte, the tensor of that type llama-quantize wrote
// into the shared mix of the same type (the mixes use other types for
// some tensors; those are compared in TestWriteGGUFMatchesPure).
func TestWriteGGUFMatchesLlamaQuantize(t *testing.T) {
	for _, wt := range writeTypes {
		t.Run(wt.name, func(t *testing.T) {
			path := writeSmallLlama(t, wt.typ)
			got, err := gguf.Open(path)
			require.NoError(t, err)
			defer got.Close()
			ref, err := gguf.Open(testfiles.Path(t, "gguf-models", "small-llama", "small-llama-"+wt.mix+".gguf"))
			require.NoError(t, err)
			defer ref.Close()
			names := got.Names()
			assert.Equal(t, ref.Names(), names)
			compared := 0
			for _, n := range names {
				gi, _ := got.Info(n)
				ri, ok := ref.Info(n)
				if !ok || ri.Type != gi.Type {
					continue
				}
				sameTensor(t, got, ref, n)
				compared++
			}
			t.Logf("%s: %d of %d tensors share llama-quantize's type and match", wt.name, compared, len(names))
			assert.GreaterOrEqual(t, compared, 10, "most of the mix is in the type")
			// The layout: llama-quantize's tensor order and metadata tail.
			var order []string
			for _, ti := range ref.Tensors() {
				order = append(order, ti.Name)
			}
			var gotOrder []string
			for _, ti := range got.Tensors() {
				gotOrder = append(gotOrder, ti.Name)
			}
			assert.Equal(t, order, gotOrder)
			kvs := got.KVs()
			assert.Equal(t, "general.quantization_version", kvs[len(kvs)-2].Key)
			assert.Equal(t, "general.file_type", kvs[len(kvs)-1].Key)
			rft, _ := ref.Get("general.file_type")
			assert.Equal(t, rft.Value, kvs[len(kvs)-1].Value)
		})
	}
}

// llamacppBin is the directory of a llama.cpp build (llama-quantize and
// the logits tool of ../shared/tools/llamacpp), from LBRX_LLAMACPP_BIN.
func llamacppBin(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("LBRX_LLAMACPP_BIN")
	if dir == "" {
		t.Skip("needs a llama.cpp build: set LBRX_LLAMACPP_BIN to a directory holding llama-quantize and logits (../shared/tools/llamacpp/build.sh)")
	}
	for _, tool := range []string{"llama-quantize", "logits"} {
		if _, err := os.Stat(filepath.Join(dir, tool)); err != nil {
			t.Skipf("needs a llama.cpp build: %s has no %s (../shared/tools/llamacpp/build.sh)", dir, tool)
		}
	}
	return dir
}

// TestWriteGGUFMatchesPure compares every tensor, the metadata and then
// the whole file with `llama-quantize --pure small-llama-f16.gguf OUT
// TYPE`, then runs llama.cpp's logits
// tool on lbrx's file: it loads, and its logits agree with lbrx's on the
// same file within max(1e-3, 2 max|llamacpp - exact|) of the shared mix.
func TestWriteGGUFMatchesPure(t *testing.T) {
	bin := llamacppBin(t)
	ids := readIDFile(t, testfiles.Path(t, "gguf-models", "small-llama", "ids"))
	for _, wt := range writeTypes {
		t.Run(wt.name, func(t *testing.T) {
			path := writeSmallLlama(t, wt.typ)
			pure := filepath.Join(t.TempDir(), "pure.gguf")
			cmd := exec.Command(filepath.Join(bin, "llama-quantize"), "--pure", testfiles.Path(t, "gguf-models", "small-llama", "small-llama-f16.gguf"), pure, strings.ToUpper(wt.name), "1")
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "%s", out)
			got, err := gguf.Open(path)
			require.NoError(t, err)
			defer got.Close()
			ref, err := gguf.Open(pure)
			require.NoError(t, err)
			defer ref.Close()
			var refOrder, gotOrder []string
			for _, ti := range ref.Tensors() {
				refOrder = append(refOrder, ti.Name)
			}
			for _, ti := range got.Tensors() {
				gotOrder = append(gotOrder, ti.Name)
			}
			require.Equal(t, refOrder, gotOrder)
			for _, n := range refOrder {
				sameTensor(t, got, ref, n)
			}
			assert.Equal(t, ref.KVs(), got.KVs(), "metadata")
			// Same tensors, order, metadata and alignment: the same file.
			pb, err := os.ReadFile(pure)
			require.NoError(t, err)
			gb, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.True(t, bytes.Equal(pb, gb), "lbrx's file differs from llama-quantize --pure's (%d vs %d bytes)", len(gb), len(pb))

			f32 := filepath.Join(t.TempDir(), "logits.f32")
			cmd = exec.Command(filepath.Join(bin, "logits"), path, joinIDs(ids), f32)
			out, err = cmd.CombinedOutput()
			require.NoError(t, err, "llama.cpp on lbrx's file: %s", out)
			llamacpp := readF32File(t, f32)
			m := load(t, path, Options{})
			logits, err := m.Forward(ids, nil)
			require.NoError(t, err)
			mine := f32Values(t, logits)
			base := testfiles.Path(t, "gguf-models", "small-llama", "small-llama-"+wt.mix)
			bound := refBound(t, base)
			d := maxAbsDiff(mine, llamacpp)
			t.Logf("%s: max |lbrx - llama.cpp| on lbrx's file = %.3g (bound %.3g)", wt.name, d, bound)
			assert.LessOrEqual(t, d, bound)
		})
	}
}

func readIDFile(t *testing.T, path string) []int {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var ids []int
	for _, s := range strings.Split(strings.TrimSpace(string(b)), ",") {
		id, err := strconv.Atoi(s)
		require.NoError(t, err)
		ids = append(ids, id)
	}
	return ids
}

func joinIDs(ids []int) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.Itoa(id)
	}
	return strings.Join(s, ",")
}

// readF32File reads little-endian float32s (the logits tool's output).
func readF32File(t *testing.T, path string) []float32 {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

// refBound is max(1e-3, 2 max|llamacpp - exact|) of a shared model.
func refBound(t *testing.T, base string) float64 {
	t.Helper()
	read := func(p string) []float32 {
		a, err := npy.ReadFile(p)
		require.NoError(t, err)
		return f32Values(t, a)
	}
	return math.Max(1e-3, 2*maxAbsDiff(read(base+".exact.npy"), read(base+".llamacpp.npy")))
}

// TestWriteGGUFMixesAreLlamaQuantizes: with llama-quantize's own K-quant
// mixes (its default, not --pure), the file lbrx writes is the shared
// file llama-quantize wrote, byte for byte.
func TestWriteGGUFMixesAreLlamaQuantizes(t *testing.T) {
	dir := testfiles.Path(t, "gguf-models", "small-llama")
	cfg, err := ReadConfig(filepath.Join(dir, "hf", "config.json"))
	require.NoError(t, err)
	qm, err := quant.LoadModel(filepath.Join(dir, "hf"))
	require.NoError(t, err)
	defer qm.Close()
	for _, mix := range []string{"q3_k_m", "q4_k_m", "q5_k_m"} {
		t.Run(mix, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), mix+".gguf")
			require.NoError(t, WriteGGUF(out, cfg, qm.Tensors, GGUFWriteOptions{Mix: mix, Name: "lbrx-test-llama",
				Vocabulary: vocabulary(t, filepath.Join(dir, "small-llama-f16.gguf"))}))
			got, err := os.ReadFile(out)
			require.NoError(t, err)
			want, err := os.ReadFile(filepath.Join(dir, "small-llama-"+mix+".gguf"))
			require.NoError(t, err)
			if !bytes.Equal(want, got) {
				g, err := gguf.Open(out)
				require.NoError(t, err)
				defer g.Close()
				r, err := gguf.Open(filepath.Join(dir, "small-llama-"+mix+".gguf"))
				require.NoError(t, err)
				defer r.Close()
				for _, n := range r.Names() {
					sameTensor(t, g, r, n)
				}
				t.Fatalf("%s: lbrx's file differs from llama-quantize's (%d vs %d bytes)", mix, len(got), len(want))
			}
		})
	}
}

// TestWriteGGUFMixesDeep checks the mixes' per-layer rules on a random
// 17-layer model against llama-quantize itself (the shared model has two
// layers): lbrx writes it as F16, llama-quantize quantizes that with each
// mix, and lbrx's own mix of the same weights must be the same file.
func TestWriteGGUFMixesDeep(t *testing.T) {
	bin := llamacppBin(t)
	cfg := Config{HiddenSize: 256, NumLayers: 17, NumHeads: 4, NumKVHeads: 2, HeadDim: 64, IntermediateSize: 256,
		VocabSize: 256, RMSNormEps: 1e-5, Rope: Rope{Theta: 10000, Type: "default", Factor: 1}, MaxPositions: 256, BOS: 1, EOS: []int{2}}
	r := rand.New(rand.NewPCG(7, 8))
	tensors := map[string]*core.Array{}
	add := func(name string, shape ...int) {
		v := make([]float32, core.Shape(shape).NumElements())
		for i := range v {
			v[i] = float32(r.NormFloat64() * 0.05)
		}
		tt, err := core.FromSlice(v, shape...)
		require.NoError(t, err)
		a, err := core.CastOp(tt.Array(), core.F16)
		require.NoError(t, err)
		tensors[name] = a
	}
	h, kv := cfg.HiddenSize, cfg.NumKVHeads*cfg.HeadDim
	add("model.embed_tokens.weight", cfg.VocabSize, h)
	add("lm_head.weight", cfg.VocabSize, h)
	add("model.norm.weight", h)
	for i := range cfg.NumLayers {
		p := "model.layers." + strconv.Itoa(i) + "."
		add(p+"input_layernorm.weight", h)
		add(p+"post_attention_layernorm.weight", h)
		add(p+"self_attn.q_proj.weight", h, h)
		add(p+"self_attn.k_proj.weight", kv, h)
		add(p+"self_attn.v_proj.weight", kv, h)
		add(p+"self_attn.o_proj.weight", h, h)
		add(p+"mlp.gate_proj.weight", cfg.IntermediateSize, h)
		add(p+"mlp.up_proj.weight", cfg.IntermediateSize, h)
		add(p+"mlp.down_proj.weight", h, cfg.IntermediateSize)
	}
	vocab := vocabulary(t, testfiles.Path(t, "gguf-models", "tiny-llama-f32.gguf"))
	dir := t.TempDir()
	f16 := filepath.Join(dir, "f16.gguf")
	require.NoError(t, WriteGGUF(f16, cfg, tensors, GGUFWriteOptions{Type: gguf.F16, Name: "deep", Vocabulary: vocab}))
	for _, mix := range []string{"q3_k_m", "q4_k_m", "q5_k_m"} {
		t.Run(mix, func(t *testing.T) {
			ref := filepath.Join(dir, "ref-"+mix+".gguf")
			out, err := exec.Command(filepath.Join(bin, "llama-quantize"), f16, ref, strings.ToUpper(mix), "1").CombinedOutput()
			require.NoError(t, err, "%s", out)
			mine := filepath.Join(dir, mix+".gguf")
			require.NoError(t, WriteGGUF(mine, cfg, tensors, GGUFWriteOptions{Mix: mix, Name: "deep", Vocabulary: vocab}))
			g, err := gguf.Open(mine)
			require.NoError(t, err)
			defer g.Close()
			rf, err := gguf.Open(ref)
			require.NoError(t, err)
			defer rf.Close()
			for _, n := range rf.Names() {
				sameTensor(t, g, rf, n)
			}
			assert.Equal(t, rf.KVs(), g.KVs())
			want, err := os.ReadFile(ref)
			require.NoError(t, err)
			got, err := os.ReadFile(mine)
			require.NoError(t, err)
			assert.True(t, bytes.Equal(want, got), "%s: lbrx's file differs from llama-quantize's", mix)
		})
	}
}
