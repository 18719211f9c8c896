package llama

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/quant"
)

// stepConfig is a small random Llama: grouped heads, odd vocabulary.
var stepConfig = Config{
	HiddenSize: 64, NumLayers: 2, NumHeads: 4, NumKVHeads: 2, HeadDim: 16,
	IntermediateSize: 128, VocabSize: 97, RMSNormEps: 1e-5,
	Rope: Rope{Theta: 10000, Type: "default", Factor: 1},
}

// availableDevices lists the devices a test runs on: the CPU and every
// available accelerator.
func availableDevices() []core.Device {
	var ds []core.Device
	for _, d := range core.Devices() {
		if d.Status().Available {
			ds = append(ds, d)
		}
	}
	return ds
}

// The fast path (the decode step recorded once and replayed; on CUDA a
// CUDA graph with the greedy choice on the GPU) gives the tokens of the
// plain op-by-op path, greedy, sampled and penalized, on every device.
func TestRecordedDecodeEqualsEager(t *testing.T) {
	for _, dev := range availableDevices() {
		t.Run(dev.Name(), func(t *testing.T) {
			before := core.Fallbacks()
			m, _ := randomModel(stepConfig, 4, 32, dev)
			prompt := []int{3, 14, 15, 92, 65}
			// Greedy with a repetition penalty reads the logits on the host:
			// the device argmax would ignore the penalty.
			for _, s := range []Sampling{{}, {Temperature: 0.8, TopP: 0.9, Seed: 5}, {RepeatPenalty: 1.5}} {
				gen := func(eager bool) []int {
					var out []int
					_, err := m.Generate(prompt, GenerateOptions{Sampling: s, MaxTokens: 24, IgnoreEOS: true, Eager: eager},
						func(id int) bool { out = append(out, id); return true })
					require.NoError(t, err)
					return out
				}
				want := gen(true)
				require.Len(t, want, 24)
				assert.Equal(t, want, gen(false), "sampling %+v", s)
			}
			if dev.Kind() == "cuda" || dev.Kind() == "metal" {
				assert.Equal(t, before, core.Fallbacks(), "no op fell back to the CPU")
			}
		})
	}
}

// A recorded step replays at each new position and is recorded again
// when the cache grows past its capacity; its logits equal Forward's on a
// separate cache at every position.
func TestRecordedStepFollowsCacheGrowth(t *testing.T) {
	for _, dev := range availableDevices() {
		t.Run(dev.Name(), func(t *testing.T) {
			m, _ := randomModel(stepConfig, 8, 32, dev)
			prompt := []int{1, 2, 3}
			fast, plain := m.NewCache(), m.NewCache()
			require.NoError(t, m.Reserve(fast, 4))
			for _, c := range []*Cache{fast, plain} {
				_, err := m.Forward(prompt, c)
				require.NoError(t, err)
			}
			s, err := m.newStep(fast, false)
			require.NoError(t, err)
			defer func() { require.NoError(t, s.close()) }()
			recordings := 0
			var last *core.Graph
			for i, id := range []int{7, 50, 96, 0, 33, 8, 8} {
				_, got, err := s.run(id)
				require.NoError(t, err)
				if s.g != last {
					recordings++
					last = s.g
				}
				want, err := m.Forward([]int{id}, plain)
				require.NoError(t, err)
				assert.Equal(t, f32Values(t, want), f32Values(t, got), "step %d", i)
			}
			assert.Equal(t, len(prompt)+7, fast.Len())
			assert.GreaterOrEqual(t, fast.Capacity(), fast.Len())
			assert.Equal(t, 3, recordings, "recorded at capacity 4, 8 and 16")
		})
	}
}

// The prompt's embedding rows of a quantized table, gathered and
// dequantized at once, equal each row dequantized alone.
func TestQuantizedEmbeddingRows(t *testing.T) {
	// 40 ids: the rows split among goroutines (embedRowsPerWorker) on a
	// machine with more than one CPU; each activation dtype rounds as a
	// cast of the dequantized rows would.
	ids := []int{5, 96, 0, 5, 41}
	for i := range 35 {
		ids = append(ids, (i*37+11)%stepConfig.VocabSize)
	}
	for _, bits := range []int{4, 8} {
		m, _ := randomModel(stepConfig, bits, 32, core.CPU())
		for _, dt := range []core.DType{core.F32, core.F16, core.BF16} {
			m.dtype = dt
			got, err := m.hostEmbedding(ids)
			require.NoError(t, err)
			require.Equal(t, core.Shape{len(ids), stepConfig.HiddenSize}, got.Shape())
			require.Equal(t, dt, got.DType())
			gv := f32Values(t, got)
			for i, id := range ids {
				r, err := quant.SliceRows(m.embed, id, id+1)
				require.NoError(t, err)
				d, err := quant.DequantizeFloat32(r)
				require.NoError(t, err)
				c, err := core.CastOp(d.Array(), dt)
				require.NoError(t, err)
				want := f32Values(t, c)
				assert.Equal(t, want, gv[i*stepConfig.HiddenSize:(i+1)*stepConfig.HiddenSize], "%d-bit %v row %d", bits, dt, id)
			}
		}
	}
}

// Every shared architecture's recorded decode step (embedding scale,
// local rope tables, sliding windows, soft caps, q/k norms, GELU) gives
// the logits of Forward on a separate cache at every position, from a
// prompt of 2 to past the sliding windows, and transformers' within the
// tolerance of TestArchitecturesMatchTransformers.
func TestArchitecturesRecordedStepEqualsForward(t *testing.T) {
	for _, arch := range testArchs {
		t.Run(arch, func(t *testing.T) {
			dir, ids, ref := archReference(t, arch)
			m := load(t, dir, Options{})
			fast, plain := m.NewCache(), m.NewCache()
			for _, c := range []*Cache{fast, plain} {
				_, err := m.Forward(ids[:2], c)
				require.NoError(t, err)
			}
			s, err := m.newStep(fast, false)
			require.NoError(t, err)
			defer func() { require.NoError(t, s.close()) }()
			for pos := 2; pos < len(ids); pos++ {
				_, got, err := s.run(ids[pos])
				require.NoError(t, err)
				want, err := m.Forward(ids[pos:pos+1], plain)
				require.NoError(t, err)
				gv := f32Values(t, got)
				assert.Equal(t, f32Values(t, want), gv, "%s position %d", arch, pos)
				assert.LessOrEqual(t, maxAbsDiff(gv, ref[pos*256:(pos+1)*256]), 1e-4, "%s position %d against transformers", arch, pos)
			}
			require.NotNil(t, s.g, "the step was recorded")
		})
	}
}
