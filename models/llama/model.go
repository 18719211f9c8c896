package llama

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/quant"
)

// Options choose where and in which precision a model runs.
type Options struct {
	// Device runs the model; nil means core.DefaultDevice().
	Device core.Device
	// DType is the activation dtype (F32, F16 or BF16); Invalid means the
	// dtype of the model's norm weights. Unquantized weights of another
	// dtype are cast once at load time, which copies them.
	DType core.DType
	// Unfused runs every projection and op on its own: no stacked
	// q/k/v and gate/up weights, no fused add+norm and rope+cache ops.
	// By default a GPU that weights are copied to (CUDA) runs them
	// fused, fewer and larger kernels per token; the unfused path is
	// the reference tests compare it with.
	Unfused bool
}

// Model is a loaded decoder network on one device.
type Model struct {
	Config Config
	dev    core.Device
	dtype  core.DType
	// embed is the token embedding table on the host, whatever the
	// device: a token's row is picked (or dequantized) there and only
	// the rows travel, so a device needs neither a gather kernel nor the
	// table in its memory (unless the lm_head is tied to it).
	embed *core.Array
	// devEmbed is embed in the activation dtype on the device, made on
	// the first pipelined decode (pipe.go) and kept with the model.
	devEmbed   *core.Array
	devEmbedMu sync.Mutex
	layers     []block
	norm       *core.Array
	lmHead     linear
	// invFreq and localInvFreq (nil unless Config.LocalRope) are the
	// rotary frequencies of full and of sliding-window layers.
	invFreq, localInvFreq []float32
	// embedScale and finalCap are Config.EmbedScale and FinalSoftCap as
	// one-element arrays of the activation dtype on the device (nil when
	// unused), rounded as transformers rounds them.
	embedScale, finalCap *core.Array
	// fused runs the merged projections and the fused add_rms_norm and
	// rope_cache ops (Options.Unfused, stackOn).
	fused bool
	// fusedNorm runs add then rms_norm as one add_rms_norm op: where the
	// model fuses, and on the CPU, whose kernel works in place and saves
	// an op's setup per norm without stacking anything.
	fusedNorm bool
	// hostRope rotates q and k stored in ggml's rope order with one
	// rope_ggml op (CPU only), where another device reorders them with a
	// copy and runs rope.
	hostRope bool
	closer   func() error
}

// block is one decoder layer. preMLPNorm is post_attention_layernorm in
// the Llama layout and pre_feedforward_layernorm in the sandwich one,
// where postAttnNorm and postMLPNorm are set too.
type block struct {
	inNorm, postAttnNorm, preMLPNorm, postMLPNorm *core.Array
	qNorm, kNorm                                  *core.Array
	q, k, v, o                                    linear
	gate, up, down                                linear
	// qkv and gateUp are q, k, v and gate, up stacked by rows (merge.go),
	// of which q, k, v, gate and up are then views; zero when the
	// model's device does not stack them.
	qkv, gateUp linear
	// window is the sliding window (0 for a full-attention layer).
	window int
	// ggmlOrder says q's and k's rows are in ggml's rope order
	// (Config.GGMLRopeOrder), so their outputs are reordered before
	// rope; false when the file's order was undone as they were stacked.
	ggmlOrder bool
}

// linear is y = x W^T (+ b) with W [out, in], quantized or not.
type linear struct {
	w, wT, b *core.Array
}

func (l linear) apply(x *core.Array) (*core.Array, error) {
	var y *core.Array
	var err error
	if l.w.Quant() != nil {
		y, err = core.QuantizedMatMulOp(x, l.w)
	} else {
		y, err = core.MatMulOp(x, l.wT)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", l.w.Name(), err)
	}
	if l.b != nil {
		if y, err = core.BinaryOp("add", y, l.b); err != nil {
			return nil, fmt.Errorf("%s bias: %w", l.w.Name(), err)
		}
	}
	return y, nil
}

// Load opens a model directory (config.json beside its .safetensors
// files), one .safetensors file with config.json beside it, or a GGUF
// file (LoadGGUF).
func Load(path string, opts Options) (*Model, error) {
	dir := path
	if st, err := os.Stat(path); err != nil {
		return nil, err
	} else if !st.IsDir() {
		if isGGUF(path) {
			return LoadGGUF(path, opts)
		}
		dir = filepath.Dir(path)
	}
	cfgPath := filepath.Join(dir, "config.json")
	cfg, err := ReadConfig(cfgPath)
	if err != nil {
		return nil, err
	}
	qm, err := quant.LoadModel(path)
	if err != nil {
		return nil, err
	}
	m, err := New(cfg, qm.Tensors, opts)
	if err != nil {
		_ = qm.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	m.closer = qm.Close
	return m, nil
}

// New builds a model from its config and tensors named as in Hugging
// Face checkpoints ("model.layers.0.self_attn.q_proj.weight", ...);
// quantized weights carry core.QuantizationInfo (quant.LoadModel's form).
// Tensors it does not use are ignored.
func New(cfg Config, tensors map[string]*core.Array, opts Options) (*Model, error) {
	dev := opts.Device
	if dev == nil {
		var err error
		if dev, err = core.DefaultDevice(); err != nil {
			return nil, err
		}
	}
	if cfg.RotaryDim == 0 {
		cfg.RotaryDim = cfg.HeadDim // a Config built by hand before partial rotary existed
	}
	if cfg.RotaryDim%2 != 0 || cfg.RotaryDim > cfg.HeadDim || cfg.RotaryDim < 0 {
		return nil, fmt.Errorf("rotary dimensions %d must be even and at most head_dim %d", cfg.RotaryDim, cfg.HeadDim)
	}
	if cfg.Sliding != nil && len(cfg.Sliding) != cfg.NumLayers {
		return nil, fmt.Errorf("config marks %d layers sliding or not, it has %d", len(cfg.Sliding), cfg.NumLayers)
	}
	if cfg.HiddenAct == "" {
		cfg.HiddenAct = "silu"
	}
	if cfg.HiddenAct != "silu" && cfg.HiddenAct != "gelu_tanh" {
		return nil, fmt.Errorf("activation %q is not silu or gelu_tanh", cfg.HiddenAct)
	}
	m := &Model{Config: cfg, dev: dev, invFreq: cfg.Rope.invFreq(cfg.RotaryDim)}
	if cfg.LocalRope != nil {
		m.localInvFreq = cfg.LocalRope.invFreq(cfg.RotaryDim)
	}
	norm, ok := tensors["model.norm.weight"]
	if !ok {
		return nil, errors.New(`tensor "model.norm.weight" is missing`)
	}
	m.dtype = opts.DType
	if m.dtype == core.Invalid {
		m.dtype = norm.DType()
	}
	if m.dtype != core.F32 && m.dtype != core.F16 && m.dtype != core.BF16 {
		return nil, fmt.Errorf("activation dtype %v is not F32, F16 or BF16", m.dtype)
	}
	tensors, err := unfuse(cfg, tensors)
	if err != nil {
		return nil, err
	}
	l := loader{m: m, tensors: tensors}
	h, qd, kv := cfg.HiddenSize, cfg.NumHeads*cfg.HeadDim, cfg.NumKVHeads*cfg.HeadDim
	m.embed = l.getForm("model.embed_tokens.weight", core.Shape{cfg.VocabSize, h}, core.CPU(), keepHalf)
	m.norm = l.norm("model.norm.weight", h)
	if cfg.TieWordEmbeddings {
		m.lmHead = l.linear("model.embed_tokens", cfg.VocabSize, h, false)
	} else {
		m.lmHead = l.linear("lm_head", cfg.VocabSize, h, false)
	}
	if cfg.EmbedScale != 0 {
		m.embedScale = l.scalar(cfg.EmbedScale)
	}
	if cfg.FinalSoftCap != 0 {
		m.finalCap = l.scalar(cfg.FinalSoftCap)
	}
	qkvBias := cfg.AttentionBias || cfg.QKVBias
	merge := !opts.Unfused && stackOn(dev)
	m.fused = merge
	m.fusedNorm = merge || (!opts.Unfused && dev == core.CPU())
	m.hostRope = dev == core.CPU()
	m.layers = make([]block, cfg.NumLayers)
	for i := range m.layers {
		p := fmt.Sprintf("model.layers.%d.", i)
		b := &m.layers[i]
		b.inNorm = l.norm(p+"input_layernorm.weight", h)
		if cfg.SandwichNorm {
			b.postAttnNorm = l.norm(p+"post_attention_layernorm.weight", h)
			b.preMLPNorm = l.norm(p+"pre_feedforward_layernorm.weight", h)
			b.postMLPNorm = l.norm(p+"post_feedforward_layernorm.weight", h)
		} else {
			b.preMLPNorm = l.norm(p+"post_attention_layernorm.weight", h)
		}
		if cfg.QKNorm {
			b.qNorm = l.norm(p+"self_attn.q_norm.weight", cfg.HeadDim)
			b.kNorm = l.norm(p+"self_attn.k_norm.weight", cfg.HeadDim)
		}
		qkvNames := []string{p + "self_attn.q_proj", p + "self_attn.k_proj", p + "self_attn.v_proj"}
		var parts []linear
		var ok bool
		b.ggmlOrder = cfg.GGMLRopeOrder
		if merge {
			var reorder []int
			if cfg.GGMLRopeOrder {
				reorder = []int{cfg.NumHeads, cfg.NumKVHeads, 0}
			}
			b.qkv, parts, ok = l.merged(qkvNames, []int{qd, kv, kv}, h, qkvBias, reorder, cfg.HeadDim)
		}
		if ok {
			b.q, b.k, b.v = parts[0], parts[1], parts[2]
			b.ggmlOrder = false // stacked in Hugging Face's order
		} else {
			b.q = l.linear(qkvNames[0], qd, h, qkvBias)
			b.k = l.linear(qkvNames[1], kv, h, qkvBias)
			b.v = l.linear(qkvNames[2], kv, h, qkvBias)
		}
		b.o = l.linear(p+"self_attn.o_proj", h, qd, cfg.AttentionBias)
		guNames := []string{p + "mlp.gate_proj", p + "mlp.up_proj"}
		ok = false
		if merge {
			b.gateUp, parts, ok = l.merged(guNames, []int{cfg.IntermediateSize, cfg.IntermediateSize}, h, cfg.MLPBias, nil, 0)
		}
		if ok {
			b.gate, b.up = parts[0], parts[1]
		} else {
			b.gate = l.linear(guNames[0], cfg.IntermediateSize, h, cfg.MLPBias)
			b.up = l.linear(guNames[1], cfg.IntermediateSize, h, cfg.MLPBias)
		}
		b.down = l.linear(p+"mlp.down_proj", h, cfg.IntermediateSize, cfg.MLPBias)
		if i < len(cfg.Sliding) && cfg.Sliding[i] {
			b.window = cfg.SlidingWindow
		}
	}
	if l.err != nil {
		return nil, l.err
	}
	return m, nil
}

// Close releases the files a loaded model maps; the model must not be
// used afterwards.
func (m *Model) Close() error {
	if m.closer == nil {
		return nil
	}
	return m.closer()
}

// Device returns the device the model runs on.
func (m *Model) Device() core.Device { return m.dev }

// DType returns the activation dtype.
func (m *Model) DType() core.DType { return m.dtype }

// loader fetches, checks and places tensors, keeping the first error.
type loader struct {
	m       *Model
	tensors map[string]*core.Array
	err     error
}

func (l *loader) get(name string, shape core.Shape) *core.Array {
	return l.getOn(name, shape, l.m.dev)
}

// halfForm says what the loader does with an F16 or BF16 tensor of a
// model whose activation dtype differs.
type halfForm int

const (
	castHalf   halfForm = iota // cast to the activation dtype
	keepHalf                   // keep it (the host embedding table: the rows looked up are cast)
	halfBlocks                 // use it in place as one-value blocks where the device runs them
)

// getOn returns tensor name, checked against shape, in the activation
// dtype unless quantized, on dev.
func (l *loader) getOn(name string, shape core.Shape, dev core.Device) *core.Array {
	return l.getForm(name, shape, dev, castHalf)
}

// getForm is getOn with the given treatment of F16/BF16 tensors.
func (l *loader) getForm(name string, shape core.Shape, dev core.Device, form halfForm) *core.Array {
	if l.err != nil {
		return nil
	}
	a, ok := l.tensors[name]
	if !ok {
		l.err = fmt.Errorf("tensor %q is missing", name)
		return nil
	}
	got := a.Shape()
	if q := a.Quant(); q != nil {
		got = q.Shape
	}
	if !got.Equal(shape) {
		l.err = fmt.Errorf("tensor %q has shape %v, config.json implies %v", name, got, shape)
		return nil
	}
	if a.Quant() == nil {
		if !a.DType().IsFloat() {
			l.err = fmt.Errorf("tensor %q is %v, want a float dtype", name, a.DType())
			return nil
		}
	} else if len(a.Quant().Shape) != 2 {
		l.err = fmt.Errorf("quantized tensor %q has logical shape %v, want 2-D", name, a.Quant().Shape)
		return nil
	}
	if half := a.DType() == core.F16 || a.DType() == core.BF16; half && a.Quant() == nil && a.DType() != l.m.dtype {
		switch {
		case form == keepHalf:
			return l.move(name, a, dev)
		case form == halfBlocks && l.halfInPlace(a, dev):
			hb, err := quant.HalfBlocks(a)
			if err != nil {
				l.err = fmt.Errorf("tensor %q: %w", name, err)
				return nil
			}
			return l.move(name, hb, dev)
		}
	}
	return l.place(name, a, dev)
}

// halfInPlace reports whether a float32 model on dev multiplies by the
// F16/BF16 weight a in place: the CPU's quantized matmul converts halves
// in its inner loop (quant.HalfBlocks), so the weight is neither widened
// into a copy twice its size nor read from its file before use. Other
// devices have no kernel for it and keep the widened copy, as do
// non-contiguous weights and CPUs without vector kernels for halves
// (quant.HalfVectorized).
func (l *loader) halfInPlace(a *core.Array, dev core.Device) bool {
	return l.m.dtype == core.F32 && dev.Kind() == "cpu" && a.Device().Kind() == "cpu" && a.IsContiguous() && quant.HalfVectorized()
}

// place casts a (unless quantized) to the activation dtype and moves it
// to dev, named name.
func (l *loader) place(name string, a *core.Array, dev core.Device) *core.Array {
	if a.Quant() == nil && a.DType() != l.m.dtype {
		var err error
		if a, err = core.CastOp(a, l.m.dtype); err != nil {
			l.err = fmt.Errorf("tensor %q: %w", name, err)
			return nil
		}
	}
	return l.move(name, a, dev)
}

// move moves a to dev, named name.
func (l *loader) move(name string, a *core.Array, dev core.Device) *core.Array {
	moved, err := a.To(dev)
	if err != nil {
		l.err = fmt.Errorf("tensor %q to %s: %w", name, dev.Name(), err)
		return nil
	}
	if moved.Name() == "" {
		meta := moved.Metadata()
		meta.Name = name
		if moved, err = moved.WithMetadata(meta); err != nil {
			l.err = err
			return nil
		}
	}
	return moved
}

func (l *loader) vector(name string, n int) *core.Array { return l.get(name, core.Shape{n}) }

// norm loads an RMSNorm weight [n]; with Config.NormPlusOne it returns
// 1 + w, computed in float32 as transformers does, then rounded to the
// activation dtype.
func (l *loader) norm(name string, n int) *core.Array {
	if !l.m.Config.NormPlusOne {
		return l.vector(name, n)
	}
	if l.err != nil {
		return nil
	}
	a, ok := l.tensors[name]
	if !ok {
		l.err = fmt.Errorf("tensor %q is missing", name)
		return nil
	}
	if !a.Shape().Equal(core.Shape{n}) || a.Quant() != nil || !a.DType().IsFloat() {
		l.err = fmt.Errorf("tensor %q is %v %v, config.json implies float [%d]", name, a.DType(), a.Shape(), n)
		return nil
	}
	w, err := plusOne(a)
	if err != nil {
		l.err = fmt.Errorf("tensor %q: %w", name, err)
		return nil
	}
	return l.place(name, w, l.m.dev)
}

// plusOne returns 1 + w in float32 on the host.
func plusOne(w *core.Array) (*core.Array, error) {
	h, err := w.To(core.CPU())
	if err != nil {
		return nil, err
	}
	if h, err = core.CastOp(h, core.F32); err != nil {
		return nil, err
	}
	one, err := core.FromSlice([]float32{1}, 1)
	if err != nil {
		return nil, err
	}
	return core.BinaryOp("add", h, one.Array())
}

// scalar returns v as a one-element array of the activation dtype on the
// device (float32 first, as transformers builds such constants).
func (l *loader) scalar(v float64) *core.Array {
	if l.err != nil {
		return nil
	}
	t, err := core.FromSlice([]float32{float32(v)}, 1)
	if err != nil {
		l.err = err
		return nil
	}
	return l.place(fmt.Sprint(v), t.Array(), l.m.dev)
}

func (l *loader) linear(prefix string, out, in int, bias bool) linear {
	var ln linear
	ln.w = l.getForm(prefix+".weight", core.Shape{out, in}, l.m.dev, halfBlocks)
	if ln.w != nil && ln.w.Quant() == nil {
		ln.wT, l.err = ln.w.T()
	}
	if bias {
		ln.b = l.get(prefix+".bias", core.Shape{out})
	}
	return ln
}

// scale is the attention's score scale: Config.AttnScale, or
// 1/sqrt(head_dim).
func (m *Model) scale() float64 {
	if m.Config.AttnScale != 0 {
		return m.Config.AttnScale
	}
	return 1 / math.Sqrt(float64(m.Config.HeadDim))
}
