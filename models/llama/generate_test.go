package llama

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core/testfiles"
)

// Greedy generation through the cache picks, at every step, the argmax
// of a fresh full-sequence forward pass over the prompt plus what it
// generated so far.
func TestGreedyGenerationIsConsistentWithFullForward(t *testing.T) {
	m := load(t, testfiles.Path(t, "safetensors", "tiny-llama"), Options{})
	var got []int
	st, err := m.Generate(refIDs, GenerateOptions{MaxTokens: 6, IgnoreEOS: true}, func(id int) bool {
		got = append(got, id)
		return true
	})
	require.NoError(t, err)
	require.Len(t, got, 6)
	assert.Equal(t, len(refIDs), st.PromptTokens)
	assert.Equal(t, 6, st.Generated)
	seq := append(append([]int{}, refIDs...), got...)
	logits, err := m.Forward(seq, nil)
	require.NoError(t, err)
	rows := argmaxRows(f32Values(t, logits), m.Config.VocabSize)
	for i, id := range got {
		assert.Equal(t, rows[len(refIDs)-1+i], id, "token %d", i)
	}
}

func TestGenerateStopsWhenYieldSaysSo(t *testing.T) {
	m := load(t, testfiles.Path(t, "safetensors", "tiny-llama"), Options{})
	n := 0
	st, err := m.Generate(refIDs[:2], GenerateOptions{MaxTokens: 10, IgnoreEOS: true}, func(int) bool { n++; return n < 3 })
	require.NoError(t, err)
	assert.Equal(t, 3, n)
	assert.Equal(t, 3, st.Generated)
	_, err = m.Generate(refIDs, GenerateOptions{MaxTokens: -1}, func(int) bool { return true })
	require.ErrorContains(t, err, "negative")
}

func TestSamplingIsSeededAndFollowsTheDistribution(t *testing.T) {
	logits := []float32{0, float32(math.Log(2)), -50}
	draw := func(s Sampling, n int) []int {
		sm, err := NewSampler(s)
		require.NoError(t, err)
		out := make([]int, n)
		for i := range out {
			out[i], err = sm.Next(logits)
			require.NoError(t, err)
		}
		return out
	}
	a := draw(Sampling{Temperature: 1, Seed: 7}, 3000)
	assert.Equal(t, a, draw(Sampling{Temperature: 1, Seed: 7}, 3000), "same seed, same draws")
	assert.NotEqual(t, a, draw(Sampling{Temperature: 1, Seed: 8}, 3000))
	var ones int
	for _, id := range a {
		require.NotEqual(t, 2, id, "a token of probability e^-50 was drawn")
		if id == 1 {
			ones++
		}
	}
	// p(1) = 2/3; 3000 draws put the count within 5 sigma (±129).
	assert.InDelta(t, 2000, ones, 129)
	// top-p 0.5 keeps only the most likely token.
	for _, id := range draw(Sampling{Temperature: 1, TopP: 0.5, Seed: 1}, 200) {
		require.Equal(t, 1, id)
	}
	// Greedy ignores the seed.
	for _, id := range draw(Sampling{Seed: 3}, 10) {
		require.Equal(t, 1, id)
	}
	// A high temperature flattens: token 2 (logit -50) is drawn sometimes
	// at T = 1000.
	hot := draw(Sampling{Temperature: 1000, Seed: 5}, 300)
	assert.Contains(t, hot, 2)
}

func TestSamplerErrors(t *testing.T) {
	_, err := NewSampler(Sampling{TopP: 1.5})
	require.ErrorContains(t, err, "top-p")
	_, err = NewSampler(Sampling{Temperature: math.Inf(1)})
	require.ErrorContains(t, err, "temperature")
	s, err := NewSampler(Sampling{})
	require.NoError(t, err)
	_, err = s.Next(nil)
	require.Error(t, err)
	_, err = s.Next([]float32{1, float32(math.NaN())})
	require.ErrorContains(t, err, "NaN")
}

// A conversation continued through one cache (the next turn prefilled on
// top of the last) generates what a fresh run over the whole sequence
// does, and a truncated cache continues from the kept prefix.
func TestGenerateCacheContinuesTheSequence(t *testing.T) {
	m := load(t, testfiles.Path(t, "safetensors", "tiny-llama"), Options{})
	greedy := func(c *Cache, ids []int, n int) ([]int, Stats) {
		var out []int
		st, err := m.GenerateCache(c, ids, GenerateOptions{MaxTokens: n, IgnoreEOS: true}, func(id int) bool { out = append(out, id); return true })
		require.NoError(t, err)
		return out, st
	}
	a, b := refIDs[:3], []int{7, 99, 200}
	c := m.NewCache()
	g, st := greedy(c, a, 3)
	assert.Equal(t, StopLength, st.Stop)
	require.Equal(t, len(a)+2, c.Len(), "the last generated token is not run yet")
	h, st := greedy(c, append([]int{g[2]}, b...), 4)
	assert.Equal(t, 4, st.PromptTokens, "only the new turn is prefilled")
	whole := append(append(append([]int{}, a...), g...), b...)
	want, _ := greedy(m.NewCache(), whole, 4)
	assert.Equal(t, want, h)

	require.NoError(t, c.Truncate(len(a)))
	require.Equal(t, len(a), c.Len())
	h, _ = greedy(c, b, 4)
	want, _ = greedy(m.NewCache(), append(append([]int{}, a...), b...), 4)
	assert.Equal(t, want, h)
	require.ErrorContains(t, c.Truncate(c.Len()+1), "cannot truncate")
	require.NoError(t, c.Truncate(0))
	assert.Equal(t, 0, c.Len())
}

func TestGenerateStopReasons(t *testing.T) {
	m := load(t, testfiles.Path(t, "safetensors", "tiny-llama"), Options{})
	var first int
	st, err := m.Generate(refIDs, GenerateOptions{MaxTokens: 1}, func(id int) bool { first = id; return true })
	require.NoError(t, err)
	assert.Equal(t, StopLength, st.Stop)
	// The first greedy token named as an extra end-of-sequence id.
	n := 0
	st, err = m.Generate(refIDs, GenerateOptions{MaxTokens: 5, EOS: []int{first}}, func(int) bool { n++; return true })
	require.NoError(t, err)
	assert.Equal(t, StopEOS, st.Stop)
	assert.Equal(t, 1, n)
	st, err = m.Generate(refIDs, GenerateOptions{MaxTokens: 5}, func(int) bool { return false })
	require.NoError(t, err)
	assert.Equal(t, StopYield, st.Stop)
	_, err = m.Generate(nil, GenerateOptions{MaxTokens: 5}, func(int) bool { return true })
	require.ErrorContains(t, err, "no prompt")
}

// A sliding-window model (the shared Gemma 2, window 4) continues a
// conversation through its cache as a fresh run does, also after the
// cache was cut back past its window (Truncate).
func TestGenerateCacheSlidingWindow(t *testing.T) {
	m := load(t, testfiles.Path(t, "archs", "gemma2"), Options{})
	greedy := func(c *Cache, ids []int, n int) []int {
		var out []int
		_, err := m.GenerateCache(c, ids, GenerateOptions{MaxTokens: n, IgnoreEOS: true}, func(id int) bool { out = append(out, id); return true })
		require.NoError(t, err)
		return out
	}
	a, b := []int{2, 17, 42, 99, 3, 7}, []int{5, 11}
	c := m.NewCache()
	g := greedy(c, a, 3)
	h := greedy(c, append([]int{g[2]}, b...), 3)
	want := greedy(m.NewCache(), append(append(append([]int{}, a...), g...), b...), 3)
	assert.Equal(t, want, h)
	// The sliding layers keep every position (the window masks them), so
	// the cache cuts back past the window and continues as a fresh run.
	require.Greater(t, c.Len(), 3+4, "the cache holds more than a window past the cut")
	require.NoError(t, c.Truncate(3))
	assert.Equal(t, 3, c.Len())
	b2 := []int{8, 1, 30, 64, 12, 9}
	got := greedy(c, b2, 3)
	want = greedy(m.NewCache(), append(append([]int{}, a[:3]...), b2...), 3)
	assert.Equal(t, want, got)
}
