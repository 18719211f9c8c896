package llama

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/core/gguf"
	"github.com/lbrx/lbrx/quant"
)

// GGUFWriteOptions choose what WriteGGUF writes.
type GGUFWriteOptions struct {
	// Type is the ggml type of every 2-D weight (Q4_0, Q8_0, Q4_K, ...,
	// or F16/BF16/F32), as `llama-quantize --pure` applies one type to
	// all; 1-D tensors (norms, biases) are F32.
	Type gguf.Type
	// Mix, when set ("q3_k_m", "q4_k_m", "q5_k_m"), chooses each
	// tensor's type as llama-quantize's mix of that name does instead
	// (Type is then ignored).
	Mix string
	// Name is general.name.
	Name string
	// Vocabulary holds the "tokenizer.*" pairs to write (e.g. another
	// GGUF's); without them the file has no vocabulary and llama.cpp
	// will not load it (lbrx will).
	Vocabulary []gguf.KV
}

// fileTypes is llama_ftype for each --pure type (llama.h): what
// llama-quantize writes as general.file_type. Q4_K and Q5_K are its
// aliases of Q4_K_M and Q5_K_M.
var fileTypes = map[gguf.Type]uint32{
	gguf.F32: 0, gguf.F16: 1, gguf.Q4_0: 2, gguf.Q4_1: 3, gguf.Q8_0: 7, gguf.Q5_0: 8, gguf.Q5_1: 9,
	gguf.Q2K: 10, gguf.Q3K: 12, gguf.Q4K: 15, gguf.Q5K: 17, gguf.Q6K: 18, gguf.IQ4NL: 25, gguf.BF16: 32,
}

// ggmlQuantVersion is GGML_QNT_VERSION, general.quantization_version.
const ggmlQuantVersion = 2

// fallbackType is llama-quantize's replacement for a type whose block
// does not divide a row of ncols values (tensor_type_fallback): the
// K-quants step down to a 32-value type, and anything still not fitting
// is stored as F16.
func fallbackType(t gguf.Type, ncols int) gguf.Type {
	if ncols%t.BlockSize() == 0 {
		return t
	}
	switch t {
	case gguf.Q2K, gguf.Q3K:
		t = gguf.Q4_0
	case gguf.Q4K:
		t = gguf.Q5_0
	case gguf.Q5K:
		t = gguf.Q5_1
	case gguf.Q6K:
		t = gguf.Q8_0
	}
	if ncols%t.BlockSize() != 0 {
		return gguf.F16
	}
	return t
}

// ggufArchName is the general.architecture a config is written as: its
// registered architecture's GGUF name; Llama (and Mistral, which
// llama.cpp's converter writes as "llama") otherwise.
func ggufArchName(cfg Config) (string, error) {
	if cfg.Arch == "" {
		return "llama", nil
	}
	a, ok := archs[cfg.Arch]
	if !ok {
		return "", fmt.Errorf("architecture %q is not registered", cfg.Arch)
	}
	if a.GGUF == "" {
		if len(cfg.Sliding) > 0 || cfg.SlidingWindow > 0 {
			return "", fmt.Errorf("architecture %q has no GGUF form with a sliding window (llama.cpp runs its files as llama, without one)", cfg.Arch)
		}
		return "llama", nil
	}
	if _, ok := ggufArchs[a.GGUF]; !ok {
		return "", fmt.Errorf("architecture %q (%s) has no GGUF table entry", cfg.Arch, a.GGUF)
	}
	return a.GGUF, nil
}

// ggufOut is one tensor to write.
type ggufOut struct {
	name  string
	src   *core.Array
	typ   gguf.Type
	heads int // > 0: permute rows for ggml's rope over this many heads
	// plusOne stores 1 + w (Gemma's norms, as the converter writes them),
	// rounded to the source dtype first as the converter's torch add is.
	plusOne bool
	raw     []float32
}

// WriteGGUF writes a model (a Config and its Hugging Face tensors, as New
// takes them) as a GGUF file laid out as llama.cpp's converter followed
// by `llama-quantize --pure` lays it out: llama.cpp's tensor names in
// llama-quantize's order (global tensors, then each layer's, by name),
// Q and K rows permuted for ggml's rope, every 2-D weight in opts.Type
// (with llama-quantize's fallback where its block does not divide a
// row), 1-D tensors in F32, the "<arch>.*" metadata the converter writes
// and alignment 32. Quantized blocks are encoded by quant.EncodeBlocks
// (ggml's reference quantizers) from the source values; a float16 source
// gives the bytes llama-quantize gives from the converter's f16 file.
// Tensors are converted one at a time while writing.
func WriteGGUF(path string, cfg Config, tensors map[string]*core.Array, opts GGUFWriteOptions) error {
	ft, ok := fileTypes[opts.Type]
	choose := func(string, int, int) gguf.Type { return opts.Type }
	if opts.Mix != "" {
		mix, known := ggufMixes[opts.Mix]
		if !known {
			return fmt.Errorf("write gguf %s: mix %q is not one lbrx writes (q3_k_m, q4_k_m, q5_k_m)", path, opts.Mix)
		}
		ft, ok = mix.fileType, true
		choose = mix.chooser(cfg)
	}
	if !ok {
		return fmt.Errorf("write gguf %s: type %v is not one lbrx writes", path, opts.Type)
	}
	arch, err := ggufArchName(cfg)
	if err != nil {
		return fmt.Errorf("write gguf %s: %w", path, err)
	}
	w := gguf.NewWriter()
	if err := setGGUFMetadata(w, arch, cfg, opts); err != nil {
		return fmt.Errorf("write gguf %s: %w", path, err)
	}
	outs, err := ggufOutputs(arch, cfg, tensors, choose)
	if err != nil {
		return fmt.Errorf("write gguf %s: %w", path, err)
	}
	for _, o := range outs {
		shape := o.src.Shape()
		if o.raw != nil {
			shape = core.Shape{len(o.raw)}
		}
		if err := w.AddTensor(o.name, o.typ, shape, o.bytes); err != nil {
			return fmt.Errorf("write gguf %s: %w", path, err)
		}
	}
	// llama-quantize appends these last (gguf_set_* moves a key to the end).
	for _, kv := range []gguf.KV{
		{Key: "general.quantization_version", Type: gguf.Uint32, Value: uint32(ggmlQuantVersion)},
		{Key: "general.file_type", Type: gguf.Uint32, Value: ft},
	} {
		if err := w.Set(kv); err != nil {
			return err
		}
	}
	return w.WriteFile(path)
}

// setGGUFMetadata writes the keys llama.cpp's converter writes for a
// Llama, in its order.
func setGGUFMetadata(w *gguf.Writer, arch string, cfg Config, opts GGUFWriteOptions) error {
	u32 := func(k string, v int) gguf.KV { return gguf.KV{Key: k, Type: gguf.Uint32, Value: uint32(v)} }
	f32 := func(k string, v float64) gguf.KV { return gguf.KV{Key: k, Type: gguf.Float32, Value: float32(v)} }
	name := opts.Name
	if name == "" {
		name = "model"
	}
	ctx := cfg.MaxPositions
	if ctx <= 0 {
		ctx = 2048 // the converter's default when max_position_embeddings is absent
	}
	kvs := []gguf.KV{
		{Key: "general.architecture", Type: gguf.String, Value: arch},
		{Key: "general.name", Type: gguf.String, Value: name},
		u32(arch+".context_length", ctx),
		u32(arch+".embedding_length", cfg.HiddenSize),
		u32(arch+".block_count", cfg.NumLayers),
		u32(arch+".feed_forward_length", cfg.IntermediateSize),
		u32(arch+".rope.dimension_count", cmp.Or(cfg.RotaryDim, cfg.HeadDim)),
		u32(arch+".attention.head_count", cfg.NumHeads),
		u32(arch+".attention.head_count_kv", cfg.NumKVHeads),
		u32(arch+".attention.key_length", cfg.HeadDim),
		u32(arch+".attention.value_length", cfg.HeadDim),
		f32(arch+".attention.layer_norm_rms_epsilon", cfg.RMSNormEps),
		f32(arch+".rope.freq_base", cfg.Rope.Theta),
	}
	switch cfg.Rope.Type {
	case "default":
	case "linear":
		kvs = append(kvs, gguf.KV{Key: arch + ".rope.scaling.type", Type: gguf.String, Value: "linear"}, f32(arch+".rope.scaling.factor", cfg.Rope.Factor))
	case "llama3":
		// written as the rope_freqs tensor
	default:
		return fmt.Errorf("rope type %q has no GGUF form here", cfg.Rope.Type)
	}
	if put := ggufArchs[arch].put; put != nil {
		kvs = append(kvs, put(arch, cfg)...)
	}
	for _, v := range opts.Vocabulary {
		if !strings.HasPrefix(v.Key, "tokenizer.") {
			return fmt.Errorf("vocabulary key %q is not a tokenizer.* key", v.Key)
		}
		kvs = append(kvs, v)
	}
	hasKey := func(k string) bool {
		return slices.ContainsFunc(opts.Vocabulary, func(kv gguf.KV) bool { return kv.Key == k })
	}
	if cfg.BOS >= 0 && !hasKey("tokenizer.ggml.bos_token_id") {
		kvs = append(kvs, u32("tokenizer.ggml.bos_token_id", cfg.BOS))
	}
	if len(cfg.EOS) > 0 && !hasKey("tokenizer.ggml.eos_token_id") {
		kvs = append(kvs, u32("tokenizer.ggml.eos_token_id", cfg.EOS[0]))
	}
	for _, kv := range kvs {
		if err := w.Set(kv); err != nil {
			return err
		}
	}
	return nil
}

// ggufOutputs maps the Hugging Face tensors to GGUF ones in
// llama-quantize's order: non-layer tensors by name, then each layer's
// by name (llama_model_loader's weight_name_comparer).
func ggufOutputs(archName string, cfg Config, tensors map[string]*core.Array, choose typeChooser) ([]ggufOut, error) {
	arch := ggufArchs[archName]
	used := map[string]bool{}
	var outs []ggufOut
	pick := func(t ggufTensor, layer int, gname, hname string) error {
		for _, suffix := range []string{".weight", ".bias"} {
			a, ok := tensors[hname+suffix]
			if !ok {
				if suffix == ".weight" && !t.optional {
					return fmt.Errorf("tensor %q is missing", hname+suffix)
				}
				continue
			}
			used[hname+suffix] = true
			want := t.shape(cfg)
			if suffix == ".bias" {
				want = want[:1]
			}
			if a.Quant() != nil {
				return fmt.Errorf("tensor %q is already quantized (%s): quantize from float weights", hname+suffix, a.Quant().Scheme)
			}
			if !a.Shape().Equal(want) || !a.DType().IsFloat() {
				return fmt.Errorf("tensor %q is %v %v, the config implies a float %v", hname+suffix, a.DType(), a.Shape(), want)
			}
			o := ggufOut{name: gname + suffix, src: a, typ: gguf.F32}
			if len(want) == 2 {
				o.typ = fallbackType(choose(t.gguf, layer, want[1]), want[1])
			}
			switch {
			case arch.permutedQK && t.gguf == "attn_q":
				o.heads = cfg.NumHeads
			case arch.permutedQK && t.gguf == "attn_k":
				o.heads = cfg.NumKVHeads
			case arch.normShift && strings.HasSuffix(t.gguf, "norm") && suffix == ".weight":
				o.plusOne = true
			}
			outs = append(outs, o)
		}
		return nil
	}
	for _, t := range arch.global {
		if t.gguf == "output" && cfg.TieWordEmbeddings {
			continue
		}
		if err := pick(t, -1, t.gguf, t.hf); err != nil {
			return nil, err
		}
	}
	if cfg.Rope.Type == "llama3" {
		outs = append(outs, ggufOut{name: ggufRopeFreqs, typ: gguf.F32, raw: llama3Factors(cfg.Rope, cfg.HeadDim)})
	}
	slices.SortFunc(outs, func(a, b ggufOut) int { return strings.Compare(a.name, b.name) })
	for i := range cfg.NumLayers {
		start := len(outs)
		for _, t := range arch.block {
			if err := pick(t, i, "blk."+strconv.Itoa(i)+"."+t.gguf, "model.layers."+strconv.Itoa(i)+"."+t.hf); err != nil {
				return nil, err
			}
		}
		slices.SortFunc(outs[start:], func(a, b ggufOut) int { return strings.Compare(a.name, b.name) })
	}
	var extra []string
	for n := range tensors {
		tiedHead := cfg.TieWordEmbeddings && n == "lm_head.weight"
		if !used[n] && !strings.HasSuffix(n, "rotary_emb.inv_freq") && !tiedHead {
			extra = append(extra, n)
		}
	}
	if len(extra) > 0 {
		slices.Sort(extra)
		return nil, fmt.Errorf("tensor %q has no place in a GGUF llama model", extra[0])
	}
	return outs, nil
}

// llama3Factors are the rope_freqs divisors llama.cpp's converter writes
// for Llama 3.1 scaling: 1 for short wavelengths, Factor for long ones
// and the smooth blend between.
func llama3Factors(r Rope, dim int) []float32 {
	out := make([]float32, dim/2)
	lowWave := float64(r.OriginalMaxPositions) / r.LowFreqFactor
	highWave := float64(r.OriginalMaxPositions) / r.HighFreqFactor
	for i := range out {
		freq := 1 / math.Pow(r.Theta, float64(2*i)/float64(dim))
		wave := 2 * math.Pi / freq
		switch {
		case wave < highWave:
			out[i] = 1
		case wave > lowWave:
			out[i] = float32(r.Factor)
		default:
			s := (float64(r.OriginalMaxPositions)/wave - r.LowFreqFactor) / (r.HighFreqFactor - r.LowFreqFactor)
			out[i] = float32(1 / ((1-s)/r.Factor + s))
		}
	}
	return out
}

// bytes converts, permutes and encodes the tensor (called by the writer).
func (o ggufOut) bytes() ([]byte, error) {
	vals := o.raw
	if vals == nil {
		a, err := core.CastOp(o.src, core.F32)
		if err != nil {
			return nil, err
		}
		t, err := core.As[float32](a)
		if err != nil {
			return nil, err
		}
		if vals, err = t.Values(); err != nil {
			return nil, err
		}
	}
	if o.plusOne {
		var err error
		if vals, err = shiftedNorm(vals, o.src.DType()); err != nil {
			return nil, err
		}
	}
	if o.heads > 0 {
		s := o.src.Shape()
		var err error
		if vals, err = toGGMLOrder(vals, o.heads, s[0]/o.heads, s[1]); err != nil {
			return nil, err
		}
	}
	switch o.typ {
	case gguf.F32:
		b := make([]byte, 4*len(vals))
		for i, v := range vals {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
		}
		return b, nil
	case gguf.F16, gguf.BF16:
		dt := core.F16
		if o.typ == gguf.BF16 {
			dt = core.BF16
		}
		t, err := core.FromSlice(vals, len(vals))
		if err != nil {
			return nil, err
		}
		c, err := core.CastOp(t.Array(), dt)
		if err != nil {
			return nil, err
		}
		return c.Bytes()
	}
	scheme, ok := gguf.SchemeOf(o.typ)
	if !ok {
		return nil, fmt.Errorf("no encoder for %v", o.typ)
	}
	cols := o.src.Shape()[len(o.src.Shape())-1]
	row, err := o.typ.RowBytes(int64(cols))
	if err != nil {
		return nil, err
	}
	dst := make([]byte, int(row)*(len(vals)/cols))
	if err := quant.EncodeBlocks(scheme, dst, vals); err != nil {
		return nil, err
	}
	return dst, nil
}

// toGGMLOrder permutes the rows of a [heads*d, cols] projection as
// llama.cpp's converter does for ggml's rope: within each head, row 2i+j
// takes Hugging Face row j*d/2+i.
func toGGMLOrder(v []float32, heads, d, cols int) ([]float32, error) {
	if d%2 != 0 || len(v) != heads*d*cols {
		return nil, errors.New("rows are not whole heads of even size")
	}
	out := make([]float32, len(v))
	for h := range heads {
		for i := range d / 2 {
			for j := range 2 {
				dst := (h*d + 2*i + j) * cols
				src := (h*d + j*d/2 + i) * cols
				copy(out[dst:dst+cols], v[src:src+cols])
			}
		}
	}
	return out, nil
}

// shiftedNorm returns 1 + v computed in dt (the converter adds in the
// checkpoint's dtype), as float32.
func shiftedNorm(v []float32, dt core.DType) ([]float32, error) {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = x + 1
	}
	if dt == core.F32 || dt == core.F64 {
		return out, nil
	}
	t, err := core.FromSlice(out, len(out))
	if err != nil {
		return nil, err
	}
	r, err := core.CastOp(t.Array(), dt)
	if err != nil {
		return nil, err
	}
	if r, err = core.CastOp(r, core.F32); err != nil {
		return nil, err
	}
	rt, err := core.As[float32](r)
	if err != nil {
		return nil, err
	}
	return rt.Values()
}
