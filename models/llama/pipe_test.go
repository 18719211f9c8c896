package llama

import (
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
)

// pipeDevices lists the devices the pipeline runs on in these tests:
// the CPU (forced, pipelineEverywhere) and every available device that
// reads back behind its queue (CUDA). Without a GPU the GPU half of each
// test is left out, as a skipped subtest "cuda" that says so.
func pipeDevices(t *testing.T) []core.Device {
	t.Helper()
	ds := []core.Device{core.CPU()}
	for _, d := range availableDevices() {
		if d != core.CPU() && core.ReadsLater(d) {
			ds = append(ds, d)
		}
	}
	if len(ds) == 1 {
		t.Run("cuda", func(t *testing.T) {
			t.Skip("no device that reads back behind its queue (CUDA) is available: the pipeline is tested on the CPU only")
		})
	}
	return ds
}

// setPipeline sets the switch (and the CPU override) for one test.
func setPipeline(t *testing.T, on bool) {
	t.Helper()
	was, everywhere := decodePipeline, pipelineEverywhere
	decodePipeline, pipelineEverywhere = on, on
	t.Cleanup(func() { decodePipeline, pipelineEverywhere = was, everywhere })
}

// genResult is what a generation hands its caller.
type genResult struct {
	ids []int
	st  Stats
	len int // the cache's length after
}

func generate(t *testing.T, m *Model, c *Cache, prompt []int, o GenerateOptions, stopAfter int) genResult {
	t.Helper()
	var r genResult
	st, err := m.GenerateCache(c, prompt, o, func(id int) bool {
		r.ids = append(r.ids, id)
		return stopAfter <= 0 || len(r.ids) < stopAfter
	})
	require.NoError(t, err)
	r.st, r.len = st, c.Len()
	r.st.Prefill, r.st.Decode = 0, 0
	return r
}

// Greedy decode with the steps queued ahead (pipe) gives, token by token,
// what the loop that waits for each token gives, and leaves the cache
// and the stop reason as it does: for 1, 2, 3 and many tokens, with an
// end-of-sequence token mid-way, a yield that stops, a cache that grows
// (and the step is recorded again) mid-way, and a second turn on the
// cache the first left (which the step queued past the end must not
// have spoiled); on quantized and float embedding tables.
func TestPipelinedDecodeEqualsUnpipelined(t *testing.T) {
	for _, dev := range pipeDevices(t) {
		for _, bits := range []int{0, 4} {
			t.Run(fmt.Sprintf("%s/bits%d", dev.Name(), bits), func(t *testing.T) {
				before := core.Fallbacks()
				m, _ := randomModel(stepConfig, bits, 32, dev)
				prompt := []int{3, 14, 15, 92, 65}
				run := func(on bool, o GenerateOptions, stopAfter int, turns ...[]int) []genResult {
					setPipeline(t, on)
					c := m.NewCache()
					var out []genResult
					steps := pipeSteps.Load()
					for _, p := range append([][]int{prompt}, turns...) {
						out = append(out, generate(t, m, c, p, o, stopAfter))
					}
					ran := pipeSteps.Load() > steps
					require.Equal(t, on && o.MaxTokens > 2, ran, "pipelined steps ran")
					some := false
					for i := range out {
						some = some || out[i].st.Pipelined
						out[i].st.Pipelined = false // the rest must equal the unpipelined loop's
					}
					require.Equal(t, ran, some, "Stats.Pipelined says the pipelined steps ran")
					return out
				}
				for _, n := range []int{1, 2, 3, 24} {
					o := GenerateOptions{MaxTokens: n, IgnoreEOS: true}
					want := run(false, o, 0)
					require.Len(t, want[0].ids, n)
					assert.Equal(t, want, run(true, o, 0), "%d tokens", n)
				}
				long := run(false, GenerateOptions{MaxTokens: 24, IgnoreEOS: true}, 0)[0].ids
				// An end-of-sequence token at the 3rd, 4th and 10th token,
				// its first occurrence, then a second turn.
				for _, k := range []int{2, 3, 9} {
					if slices.Index(long, long[k]) != k {
						continue
					}
					o := GenerateOptions{MaxTokens: 24, EOS: []int{long[k]}}
					want := run(false, o, 0, []int{7, 8})
					require.Len(t, want[0].ids, k+1)
					require.Equal(t, StopEOS, want[0].st.Stop)
					assert.Equal(t, want, run(true, o, 0, []int{7, 8}), "end of sequence at token %d", k)
				}
				// The caller stops after 4 tokens, then a second turn.
				o := GenerateOptions{MaxTokens: 24, IgnoreEOS: true}
				want := run(false, o, 4, []int{9})
				require.Equal(t, StopYield, want[0].st.Stop)
				assert.Equal(t, want, run(true, o, 4, []int{9}), "yield stops")

				// A cache that grows mid-way: max_position_embeddings caps
				// what generation reserves (8 positions for a prompt of 5),
				// so the pipeline grows it at 8 and 16 and records again.
				m.Config.MaxPositions = 8
				defer func() { m.Config.MaxPositions = 0 }()
				want = run(false, o, 0)
				got := run(true, o, 0)
				assert.Equal(t, want, got, "across cache growth")
				if dev.Kind() != "cpu" {
					assert.Equal(t, before, core.Fallbacks(), "no op fell back to the CPU")
				}
			})
		}
	}
}

// The pipeline itself (not the loop around it, which could fall back):
// its steps give the tokens of the unpipelined recorded step at every
// position, read in order, with the step recorded again at each growth
// (capacity 8, 16, 32), and it stops when took says so.
func TestPipeStepsEqualRecordedSteps(t *testing.T) {
	for _, dev := range pipeDevices(t) {
		t.Run(dev.Name(), func(t *testing.T) {
			m, _ := randomModel(stepConfig, 4, 32, dev)
			prompt := []int{1, 2, 3, 4, 5}
			fast, plain := m.NewCache(), m.NewCache()
			for _, c := range []*Cache{fast, plain} {
				require.NoError(t, m.Reserve(c, 8))
				_, err := m.Forward(prompt, c)
				require.NoError(t, err)
			}
			s, err := m.newStep(plain, true)
			require.NoError(t, err)
			defer func() { require.NoError(t, s.close()) }()
			var want []int
			id := 40
			for range 20 {
				if id, _, err = s.run(id); err != nil {
					t.Fatal(err)
				}
				want = append(want, id)
			}
			p, err := m.newPipe(fast, len(prompt)+20)
			require.NoError(t, err)
			defer func() { require.NoError(t, p.close()) }()
			var got, caps []int
			recorded := map[*core.Graph]bool{}
			last, err := p.decode(40, 20, func(id int) bool {
				got = append(got, id)
				caps = append(caps, fast.Capacity())
				recorded[p.g] = true
				return false
			})
			require.NoError(t, err)
			assert.Equal(t, want, got)
			assert.Equal(t, want[len(want)-1], last)
			assert.Equal(t, len(prompt)+20, fast.Len())
			assert.Equal(t, plain.Len(), fast.Len())
			assert.Len(t, recorded, 3, "recorded at capacity 8, 16 and 32: %v", caps)

			// took stopping at the 3rd token: the cache keeps the 3 steps
			// read, not the one queued after.
			c := m.NewCache()
			_, err = m.Forward(prompt, c)
			require.NoError(t, err)
			q, err := m.newPipe(c, len(prompt)+20)
			require.NoError(t, err)
			defer func() { require.NoError(t, q.close()) }()
			n := 0
			last, err = q.decode(40, 20, func(int) bool { n++; return n == 3 })
			require.NoError(t, err)
			assert.Equal(t, want[2], last)
			assert.Equal(t, len(prompt)+3, c.Len())
		})
	}
}

// LBRX_DECODE_PIPELINE=off (decodePipeline false) and sampling that is
// not greedy keep the unpipelined loop; the CPU does not pipeline unless
// a test forces it.
func TestUsePipe(t *testing.T) {
	m, _ := randomModel(stepConfig, 0, 32, core.CPU())
	greedy, err := NewSampler(Sampling{})
	require.NoError(t, err)
	sampled, err := NewSampler(Sampling{Temperature: 0.7})
	require.NoError(t, err)
	penalized, err := NewSampler(Sampling{RepeatPenalty: 1.3})
	require.NoError(t, err)
	o := GenerateOptions{MaxTokens: 8}
	setPipeline(t, true)
	assert.True(t, m.usePipe(o, greedy))
	assert.False(t, m.usePipe(o, sampled))
	assert.False(t, m.usePipe(o, penalized))
	assert.False(t, m.usePipe(GenerateOptions{MaxTokens: 8, Eager: true}, greedy))
	assert.False(t, m.usePipe(GenerateOptions{MaxTokens: 2}, greedy), "two tokens run no step")
	pipelineEverywhere = false
	assert.False(t, m.usePipe(o, greedy), "the CPU reads back at once")
	setPipeline(t, false)
	assert.False(t, m.usePipe(o, greedy))
}

// Every shared architecture (embedding scale, local rope tables, soft
// caps, sliding windows) decodes the same tokens pipelined as not.
func TestArchitecturesPipelinedDecode(t *testing.T) {
	for _, arch := range testArchs {
		t.Run(arch, func(t *testing.T) {
			dir, ids, _ := archReference(t, arch)
			for _, dev := range pipeDevices(t) {
				m := load(t, dir, Options{Device: dev})
				gen := func(on bool) []int {
					setPipeline(t, on)
					steps := pipeSteps.Load()
					defer func() { require.Equal(t, on, pipeSteps.Load() > steps, "pipelined steps ran") }()
					var out []int
					_, err := m.Generate(ids[:3], GenerateOptions{MaxTokens: 12, IgnoreEOS: true}, func(id int) bool {
						out = append(out, id)
						return true
					})
					require.NoError(t, err)
					return out
				}
				assert.Equal(t, gen(false), gen(true), "%s on %s", arch, dev.Name())
			}
		})
	}
}
