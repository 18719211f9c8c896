package llama

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/lbrx/lbrx/core"
	_ "github.com/lbrx/lbrx/cuda"  // registers the CUDA devices for BenchmarkDecodeDevice
	_ "github.com/lbrx/lbrx/metal" // registers the Metal device
)

// benchConfig is a realistic small-LLM shape: Llama 3.2 1B's layers
// (hidden 2048, 16 layers, 32 query and 8 key/value heads of 64,
// intermediate 8192) with a 32000-token vocabulary instead of 128256, so
// that building it stays quick.
var benchConfig = Config{
	HiddenSize: 2048, NumLayers: 16, NumHeads: 32, NumKVHeads: 8, HeadDim: 64,
	IntermediateSize: 8192, VocabSize: 32000, RMSNormEps: 1e-5,
	Rope: Rope{Theta: 500000, Type: "default", Factor: 1},
}

// randomQuantized makes an MLX affine weight [n, k] with random codes and
// float32 scales and biases (what quant.Quantize stores for float32 input).
func randomQuantized(r *rand.Rand, n, k, bits, group int) (*core.Array, int) {
	codes := make([]uint32, n*k*bits/32)
	for i := range codes {
		codes[i] = r.Uint32()
	}
	sc, bs := make([]float32, n*k/group), make([]float32, n*k/group)
	step := float32(0.04) / float32(int(1)<<bits)
	for i := range sc {
		sc[i] = step * (0.5 + r.Float32())
		bs[i] = -0.02 + 0.002*r.Float32()
	}
	ct, _ := core.FromSlice(codes, n, k*bits/32)
	st, _ := core.FromSlice(sc, n, k/group)
	bt, _ := core.FromSlice(bs, n, k/group)
	meta := ct.Metadata()
	meta.Quant = &core.QuantizationInfo{Scheme: core.SchemeAffine, Bits: bits, GroupSize: group, Shape: core.Shape{n, k}, Scales: st.Array(), Biases: bt.Array()}
	a, err := ct.Array().WithMetadata(meta)
	if err != nil {
		panic(err)
	}
	return a, 4 * (len(codes) + len(sc) + len(bs))
}

// randomModel builds cfg with every linear layer quantized; it returns
// the model and the weight bytes one decode step reads (every layer's
// codes, scales and biases and the lm_head; one embedding row and the
// norms are left out as negligible).
func randomModel(cfg Config, bits, group int, dev core.Device) (*Model, int) {
	t, perToken := randomWeights(cfg, bits, group)
	m, err := New(cfg, t, Options{Device: dev})
	if err != nil {
		panic(err)
	}
	return m, perToken
}

// randomWeights are randomModel's weights; bits 0 makes the linear
// layers float32 (uniform in ±0.05) instead of quantized.
func randomWeights(cfg Config, bits, group int) (map[string]*core.Array, int) {
	r := rand.New(rand.NewPCG(1, 2))
	t := map[string]*core.Array{}
	var perToken int
	add := func(name string, n, k int) {
		if bits == 0 {
			v := make([]float32, n*k)
			for i := range v {
				v[i] = 0.1*r.Float32() - 0.05
			}
			x, _ := core.FromSlice(v, n, k)
			t[name] = x.Array()
			perToken += 4 * n * k
			return
		}
		a, b := randomQuantized(r, n, k, bits, group)
		t[name] = a
		perToken += b
	}
	ones := func(name string, n int) {
		v := make([]float32, n)
		for i := range v {
			v[i] = 1
		}
		x, _ := core.FromSlice(v, n)
		t[name] = x.Array()
	}
	h, q, kv := cfg.HiddenSize, cfg.NumHeads*cfg.HeadDim, cfg.NumKVHeads*cfg.HeadDim
	add("model.embed_tokens.weight", cfg.VocabSize, h)
	perToken = 0 // one row per token is read, not the table
	add("lm_head.weight", cfg.VocabSize, h)
	ones("model.norm.weight", h)
	for i := range cfg.NumLayers {
		p := fmt.Sprintf("model.layers.%d.", i)
		ones(p+"input_layernorm.weight", h)
		ones(p+"post_attention_layernorm.weight", h)
		add(p+"self_attn.q_proj.weight", q, h)
		add(p+"self_attn.k_proj.weight", kv, h)
		add(p+"self_attn.v_proj.weight", kv, h)
		add(p+"self_attn.o_proj.weight", h, q)
		add(p+"mlp.gate_proj.weight", cfg.IntermediateSize, h)
		add(p+"mlp.up_proj.weight", cfg.IntermediateSize, h)
		add(p+"mlp.down_proj.weight", h, cfg.IntermediateSize)
	}
	return t, perToken
}

// BenchmarkDecode measures one-token decode steps of a 1B-parameter
// shaped 4-bit and 8-bit model on the CPU (run with -cpu 1,2 for the
// thread counts). The context is kept between 16 and 256 positions by
// starting a new sequence when it fills. Reported: tok/s, the weight
// bytes a token reads (MB/tok) and the bandwidth that implies (GB/s).
func BenchmarkDecode(b *testing.B) { benchDecode(b, core.CPU()) }

// BenchmarkDecodeDevice is BenchmarkDecode on the default device (set
// LBRX_DEVICE to choose); it skips when that is the CPU.
func BenchmarkDecodeDevice(b *testing.B) {
	dev, err := core.DefaultDevice()
	if err != nil {
		b.Fatal(err)
	}
	if dev == core.CPU() {
		b.Skip("no accelerator: the default device is the CPU (BenchmarkDecode covers it)")
	}
	benchDecode(b, dev)
}

func benchDecode(b *testing.B, dev core.Device) {
	for _, bits := range []int{4, 8} {
		b.Run(fmt.Sprintf("%dbit-g64", bits), func(b *testing.B) {
			m, perToken := randomModel(benchConfig, bits, 64, dev)
			prompt := make([]int, 16)
			for i := range prompt {
				prompt[i] = i * 7
			}
			c := m.NewCache()
			if _, err := m.Forward(prompt, c); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			start := time.Now()
			var paused time.Duration
			for i := range b.N {
				if c.Len() >= 256 {
					p := time.Now()
					b.StopTimer()
					c.Reset()
					if _, err := m.Forward(prompt, c); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
					paused += time.Since(p)
				}
				logits, err := m.forward([]int{(i * 31) % benchConfig.VocabSize}, c, true)
				if err != nil {
					b.Fatal(err)
				}
				// Read the logits back, as sampling does, so that a
				// device's queued work is inside the timing.
				if _, err := hostF32(logits); err != nil {
					b.Fatal(err)
				}
			}
			sec := (time.Since(start) - paused).Seconds()
			b.ReportMetric(float64(b.N)/sec, "tok/s")
			b.ReportMetric(float64(perToken)/1e6, "MB/tok")
			b.ReportMetric(float64(perToken)*float64(b.N)/sec/1e9, "GB/s")
		})
	}
}

// BenchmarkPrefill runs a 64-token prompt through the same 4-bit model on
// the CPU, reporting prompt tokens/s.
func BenchmarkPrefill(b *testing.B) {
	m, _ := randomModel(benchConfig, 4, 64, core.CPU())
	prompt := make([]int, 64)
	for i := range prompt {
		prompt[i] = (i * 131) % benchConfig.VocabSize
	}
	b.ResetTimer()
	for range b.N {
		if _, err := m.forward(prompt, m.NewCache(), true); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(prompt)*b.N)/b.Elapsed().Seconds(), "tok/s")
}
