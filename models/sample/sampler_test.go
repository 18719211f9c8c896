package sample

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// freqs draws n tokens and returns how often each id came up.
func freqs(t *testing.T, o Options, logits []float32, n int) []float64 {
	t.Helper()
	s, err := New(o)
	require.NoError(t, err)
	f := make([]float64, len(logits))
	for range n {
		id, err := s.Next(logits)
		require.NoError(t, err)
		f[id]++
	}
	for i := range f {
		f[i] /= float64(n)
	}
	return f
}

// assertDistribution checks empirical frequencies against expected
// probabilities within 5 standard deviations, and that zero-probability
// tokens never came up.
func assertDistribution(t *testing.T, want, got []float64, n int) {
	t.Helper()
	for i := range want {
		if want[i] == 0 {
			assert.Zero(t, got[i], "token %d must never be drawn", i)
			continue
		}
		sigma := math.Sqrt(want[i] * (1 - want[i]) / float64(n))
		assert.InDelta(t, want[i], got[i], 5*sigma+1e-12, "token %d", i)
	}
}

// logs returns log(p) as float32 logits.
func logs(p ...float64) []float32 {
	out := make([]float32, len(p))
	for i, v := range p {
		out[i] = float32(math.Log(v))
	}
	return out
}

func TestSeededDeterminism(t *testing.T) {
	logits := logs(0.4, 0.3, 0.2, 0.1)
	draw := func(seed uint64) []int {
		s, err := New(Options{Temperature: 0.8, TopK: 3, TopP: 0.95, MinP: 0.05, Seed: seed})
		require.NoError(t, err)
		out := make([]int, 500)
		for i := range out {
			out[i], err = s.Next(logits)
			require.NoError(t, err)
		}
		return out
	}
	first := draw(42)
	assert.Equal(t, first, draw(42), "same seed, same draws")
	assert.NotEqual(t, draw(42), draw(43))
}

func TestTemperatureFollowsTheDistribution(t *testing.T) {
	const n = 20000
	assertDistribution(t, []float64{0.5, 0.3, 0.2}, freqs(t, Options{Temperature: 1, Seed: 1}, logs(0.5, 0.3, 0.2), n), n)
	// T = 2 flattens to p^(1/2), normalized.
	r := []float64{math.Sqrt(0.5), math.Sqrt(0.3), math.Sqrt(0.2)}
	sum := r[0] + r[1] + r[2]
	assertDistribution(t, []float64{r[0] / sum, r[1] / sum, r[2] / sum}, freqs(t, Options{Temperature: 2, Seed: 2}, logs(0.5, 0.3, 0.2), n), n)
}

func TestGreedy(t *testing.T) {
	s, err := New(Options{Seed: 3})
	require.NoError(t, err)
	for range 10 {
		id, err := s.Next([]float32{0, 2, 2, 1})
		require.NoError(t, err)
		assert.Equal(t, 1, id, "ties go to the lowest id")
	}
	_, err = s.Next([]float32{0, float32(math.NaN())})
	require.ErrorContains(t, err, "logit 1 is NaN")
}

// Greedy holds exactly while Next takes the row's plain argmax: no
// temperature, and no penalty with a history to apply.
func TestGreedyReportsThePlainArgmax(t *testing.T) {
	row := []float32{0, 2, 2.5, 1}
	for _, c := range []struct {
		o      Options
		accept bool
		greedy bool
	}{
		{Options{}, true, true},
		{Options{RepeatPenalty: 1}, true, true},
		{Options{RepeatPenalty: 10}, false, true},
		{Options{RepeatPenalty: 10}, true, false},
		{Options{Temperature: 0.5}, false, false},
	} {
		s, err := New(c.o)
		require.NoError(t, err)
		if c.accept {
			s.Accept(2)
		}
		assert.Equal(t, c.greedy, s.Greedy(), "%+v (history: %v)", c.o, c.accept)
		if c.greedy {
			id, err := s.Next(row)
			require.NoError(t, err)
			assert.Equal(t, 2, id)
		}
	}
	// The penalty moves the pick off the argmax: Greedy was right to say no.
	s, err := New(Options{RepeatPenalty: 10})
	require.NoError(t, err)
	s.Accept(2)
	id, err := s.Next(row)
	require.NoError(t, err)
	assert.Equal(t, 1, id)
}

func TestTopK(t *testing.T) {
	const n = 20000
	// The two largest, renormalized: e^3 and e^2.
	e := math.E
	assertDistribution(t, []float64{e / (e + 1), 1 / (e + 1), 0, 0}, freqs(t, Options{Temperature: 1, TopK: 2, Seed: 4}, []float32{3, 2, 1, 0}, n), n)
	// Ties with the k-th are kept (transformers' rule): three tokens at 1.
	assertDistribution(t, []float64{1.0 / 3, 1.0 / 3, 1.0 / 3, 0}, freqs(t, Options{Temperature: 1, TopK: 2, Seed: 5}, []float32{1, 1, 1, 0}, n), n)
	// k >= vocabulary keeps all.
	assertDistribution(t, []float64{0.5, 0.5}, freqs(t, Options{Temperature: 1, TopK: 9, Seed: 6}, []float32{0, 0}, n), n)
}

func TestTopP(t *testing.T) {
	const n = 20000
	// 0.4 + 0.3 = 0.7 < 0.75, so 0.2 is needed too; 0.1 is cut.
	assertDistribution(t, []float64{0.4 / 0.9, 0.3 / 0.9, 0.2 / 0.9, 0}, freqs(t, Options{Temperature: 1, TopP: 0.75, Seed: 7}, logs(0.4, 0.3, 0.2, 0.1), n), n)
	// Order in the row does not matter.
	assertDistribution(t, []float64{0, 0.2 / 0.9, 0.3 / 0.9, 0.4 / 0.9}, freqs(t, Options{Temperature: 1, TopP: 0.75, Seed: 8}, logs(0.1, 0.2, 0.3, 0.4), n), n)
	// After top-k 2 the two left are renormalized (4/7, 3/7): top-p 0.5 keeps one.
	assertDistribution(t, []float64{1, 0, 0, 0}, freqs(t, Options{Temperature: 1, TopK: 2, TopP: 0.5, Seed: 9}, logs(0.4, 0.3, 0.2, 0.1), n), n)
}

func TestMinP(t *testing.T) {
	const n = 20000
	// Floor 0.2 * 0.5 = 0.1: 0.05 goes.
	assertDistribution(t, []float64{0.5 / 0.95, 0.3 / 0.95, 0.15 / 0.95, 0}, freqs(t, Options{Temperature: 1, MinP: 0.2, Seed: 10}, logs(0.5, 0.3, 0.15, 0.05), n), n)
	// min-p compares probabilities after the temperature (transformers'
	// order): at T = 2 they are sqrt(p) normalized, so 0.15 (ratio
	// sqrt(0.3) = 0.55 to the top) passes min-p 0.5 and 0.05 (0.32) does
	// not; at T = 1 the ratio 0.3 would drop 0.15 as well.
	r := []float64{math.Sqrt(0.5), math.Sqrt(0.3), math.Sqrt(0.15)}
	sum := r[0] + r[1] + r[2]
	assertDistribution(t, []float64{r[0] / sum, r[1] / sum, r[2] / sum, 0}, freqs(t, Options{Temperature: 2, MinP: 0.5, Seed: 11}, logs(0.5, 0.3, 0.15, 0.05), n), n)
}

func TestRepeatPenalty(t *testing.T) {
	greedy := func(o Options, logits []float32, accepted ...int) int {
		s, err := New(o)
		require.NoError(t, err)
		s.Accept(accepted...)
		id, err := s.Next(logits)
		require.NoError(t, err)
		return id
	}
	// Positive logits are divided: 2/2 = 1 > 0.9 — applied once however
	// often token 0 was seen (three times would give 0.25).
	assert.Equal(t, 0, greedy(Options{RepeatPenalty: 2}, []float32{2, 0.9}, 0, 0, 0))
	assert.Equal(t, 1, greedy(Options{RepeatPenalty: 2}, []float32{2, 1.2}, 0))
	// Negative logits are multiplied: -0.5*3 = -1.5 < -1.
	assert.Equal(t, 1, greedy(Options{RepeatPenalty: 3}, []float32{-0.5, -1}, 0))
	// The window holds the last n accepted tokens: token 0 fell out.
	assert.Equal(t, 0, greedy(Options{RepeatPenalty: 5, RepeatLastN: 1}, []float32{2, 1.5}, 0, 1))
	assert.Equal(t, 1, greedy(Options{RepeatPenalty: 5, RepeatLastN: 1}, []float32{2, 1.5}, 1, 0))
	// Penalty 1 is off; Reset forgets.
	assert.Equal(t, 0, greedy(Options{RepeatPenalty: 1}, []float32{2, 1.5}, 0))
	s, err := New(Options{RepeatPenalty: 5})
	require.NoError(t, err)
	s.Accept(0)
	s.Reset()
	id, err := s.Next([]float32{2, 1.5})
	require.NoError(t, err)
	assert.Equal(t, 0, id)
	// A long history beyond the window keeps only the window.
	s, err = New(Options{RepeatPenalty: 5, RepeatLastN: 3})
	require.NoError(t, err)
	for range 100 {
		s.Accept(0)
	}
	s.Accept(1, 1, 1)
	id, err = s.Next([]float32{2, 2.5})
	require.NoError(t, err)
	assert.Equal(t, 0, id)
	// The sampled distribution sees the penalized logits: log 2 / 2.
	const n = 20000
	s, err = New(Options{Temperature: 1, RepeatPenalty: 2, Seed: 12})
	require.NoError(t, err)
	s.Accept(1)
	f := make([]float64, 2)
	for range n {
		id, err := s.Next([]float32{0, float32(math.Log(4))})
		require.NoError(t, err)
		f[id]++
	}
	assertDistribution(t, []float64{1.0 / 3, 2.0 / 3}, []float64{f[0] / n, f[1] / n}, n)
}

func TestBadOptionsAndLogits(t *testing.T) {
	for _, c := range []struct {
		o   Options
		err string
	}{
		{Options{Temperature: math.NaN()}, "temperature"},
		{Options{TopK: -1}, "top-k"},
		{Options{TopP: 1.5}, "top-p"},
		{Options{MinP: -0.1}, "min-p"},
		{Options{RepeatPenalty: math.Inf(1)}, "repeat penalty"},
		{Options{RepeatLastN: -2}, "repeat window"},
	} {
		_, err := New(c.o)
		require.ErrorContains(t, err, c.err)
	}
	s, err := New(Options{Temperature: 1, RepeatPenalty: 2})
	require.NoError(t, err)
	_, err = s.Next(nil)
	require.ErrorContains(t, err, "no logits")
	_, err = s.Next([]float32{0, float32(math.NaN())})
	require.ErrorContains(t, err, "logit 1 is NaN")
	s.Accept(7)
	_, err = s.Next([]float32{0, 1})
	require.ErrorContains(t, err, "accepted token 7 is outside the 2 logits")
	// Only -inf logits but one: that one.
	s, err = New(Options{Temperature: 1})
	require.NoError(t, err)
	inf := float32(math.Inf(-1))
	id, err := s.Next([]float32{inf, 0, inf})
	require.NoError(t, err)
	assert.Equal(t, 1, id)
}
