package main

import (
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/core/testfiles"
	"github.com/lbrx/lbrx/cuda"
)

// bench decode on every available device (the CPU here; CUDA on a GPU
// machine): the JSON carries every field, counts what was asked and
// gives positive, ordered timings.
func TestBenchDecodeJSON(t *testing.T) {
	model := testfiles.Path(t, "safetensors", "tiny-llama")
	for _, d := range core.Devices() {
		if !d.Status().Available {
			continue
		}
		t.Run(d.Name(), func(t *testing.T) {
			before := core.Fallbacks()
			code, stdout, stderr := runCmd("bench", "decode", model, "--prompt", "12", "--tokens", "9", "--device", d.Name(), "--threads", "1", "--json")
			require.Equal(t, 0, code, stderr)
			var raw map[string]any
			require.NoError(t, json.Unmarshal([]byte(stdout), &raw))
			for _, k := range []string{"model", "device", "dtype", "bits", "prompt_tokens", "generated_tokens",
				"prefill_tokens_per_s", "decode_tokens_per_s", "ms_per_token_p50", "ms_per_token_p99"} {
				assert.Contains(t, raw, k)
			}
			var r decodeResult
			require.NoError(t, json.Unmarshal([]byte(stdout), &r))
			assert.Equal(t, model, r.Model)
			assert.Equal(t, d.Name(), r.Device)
			assert.Equal(t, "f32", r.DType)
			assert.Equal(t, 32, r.Bits)
			assert.Equal(t, 12, r.PromptTokens)
			assert.Equal(t, 9, r.GeneratedTokens)
			assert.Positive(t, r.PrefillRate)
			assert.Positive(t, r.DecodeRate)
			assert.Positive(t, r.MsPerTokenP50)
			assert.GreaterOrEqual(t, r.MsPerTokenP99, r.MsPerTokenP50)
			if d.Kind() == "cuda" || d.Kind() == "metal" { // the test's fake device runs every op on the CPU
				assert.Equal(t, before, core.Fallbacks(), "ops fell back to the CPU")
			}
			if d.Kind() != "cuda" {
				return
			}
			code, stdout, stderr = runCmd("bench", "decode", model, "--prompt", "5", "--tokens", "2", "--device", d.Name(), "--profile", "--json")
			require.Equal(t, 0, code, stderr)
			r = decodeResult{}
			require.NoError(t, json.Unmarshal([]byte(stdout), &r))
			require.NotNil(t, r.Profile)
			assert.Positive(t, r.Profile.Ops)
			assert.Positive(t, r.Profile.GPUMs)
			assert.GreaterOrEqual(t, r.Profile.WallMs, r.Profile.GPUMs*0.5)
			assert.NotEmpty(t, r.Profile.ByOp)
			require.NotNil(t, r.PrefillProfile)
			assert.Positive(t, r.PrefillProfile.Ops)
			// The replayed step: the spans per op kind add up to the
			// step, which lies within its launch timed from outside.
			require.NotNil(t, r.StepProfile)
			sp := r.StepProfile
			assert.Positive(t, sp.Ops)
			assert.Positive(t, sp.StepUs)
			assert.Positive(t, sp.ReplayUs)
			assert.LessOrEqual(t, sp.StepUs, sp.InstrumentedReplayUs+1)
			sum, share, count := 0.0, 0.0, 0
			for _, o := range sp.ByOp {
				sum += o.Us
				share += o.Share
				count += o.Count
			}
			assert.InDelta(t, sp.StepUs, sum, 0.01*sp.StepUs)
			assert.InDelta(t, 1, share, 0.01)
			assert.Equal(t, sp.Ops, count)
		})
	}
}

// A quantized model reports its bits; the text form names the rates.
func TestBenchDecodeQuantizedText(t *testing.T) {
	q := filepath.Join(t.TempDir(), "q4")
	code, _, stderr := runCmd("quantize", testfiles.Path(t, "safetensors", "tiny-llama"), q, "--bits", "4", "--group-size", "32")
	require.Equal(t, 0, code, stderr)
	code, stdout, stderr := runCmd("bench", "decode", q, "--prompt", "3", "--tokens", "4", "--device", "cpu", "--warmup", "0", "--json")
	require.Equal(t, 0, code, stderr)
	var r decodeResult
	require.NoError(t, json.Unmarshal([]byte(stdout), &r))
	assert.Equal(t, 4, r.Bits)
	code, stdout, stderr = runCmd("bench", "decode", q, "--prompt", "3", "--tokens", "4", "--device", "cpu")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "4-bit weights")
	assert.Contains(t, stdout, "prefill 3 tokens:")
	assert.Contains(t, stdout, "decode 4 tokens:")
}

// A GGUF model (ggml blocks, quantized embedding table) runs too; its
// bits are reported as 0, the tensors having their own types.
func TestBenchDecodeGGUF(t *testing.T) {
	model := testfiles.Path(t, "gguf-models", "tiny-llama-q4_0.gguf")
	code, stdout, stderr := runCmd("bench", "decode", model, "--prompt", "3", "--tokens", "4", "--device", "cpu", "--warmup", "0", "--json")
	require.Equal(t, 0, code, stderr)
	var r decodeResult
	require.NoError(t, json.Unmarshal([]byte(stdout), &r))
	assert.Equal(t, 0, r.Bits)
	assert.Equal(t, 4, r.GeneratedTokens)
	code, stdout, stderr = runCmd("bench", "decode", model, "--prompt", "3", "--tokens", "4", "--device", "cpu", "--warmup", "0")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "GGUF weights")
}

func TestBenchDecodeUsageErrors(t *testing.T) {
	model := testfiles.Path(t, "safetensors", "tiny-llama")
	for _, args := range [][]string{
		{"--prompt", "0"},
		{"--tokens", "1"},
		{"--warmup", "-1"},
		{"--threads", "-2"},
		{"--dtype", "f8"},
		{"--device", "nosuch"},
		{"--bogus"},
		{"--device", "cpu", "--profile"},
	} {
		code, _, stderr := runCmd(append([]string{"bench", "decode", model}, args...)...)
		assert.Equal(t, 2, code, "%v: %s", args, stderr)
	}
	code, _, stderr := runCmd("bench", "decode", filepath.Join(t.TempDir(), "missing"))
	assert.Equal(t, 1, code, stderr)
	code, _, stderr = runCmd("bench", "decode")
	assert.Equal(t, 2, code, stderr)
}

// summarizeGraphStep sums spans per op kind, largest first (then by
// name), with shares
// of the step, and takes the replay times as medians past the first
// launch.
func TestSummarizeGraphStep(t *testing.T) {
	us := func(v float64) time.Duration { return time.Duration(v * float64(time.Microsecond)) }
	inst := cuda.GraphProfile{
		Ops:  []cuda.OpSpan{{Op: "a [1]", GPU: us(10)}, {Op: "b [2]", GPU: us(30)}, {Op: "a [1]", GPU: us(20)}, {Op: "c [1]", GPU: us(40)}},
		Step: us(100), Launches: []time.Duration{us(900), us(130), us(120), us(125)},
	}
	plain := cuda.GraphProfile{Launches: []time.Duration{us(500), us(80), us(75), us(90)}}
	sp := summarizeGraphStep(plain, inst)
	assert.InDelta(t, 100, sp.StepUs, 1e-9)
	assert.InDelta(t, 125, sp.InstrumentedReplayUs, 1e-9, "the last launch")
	assert.InDelta(t, 90, sp.ReplayUs, 1e-9, "the last launch")
	assert.InDelta(t, 80, sp.ReplayMedianUs, 1e-9, "the median past the first")
	assert.Equal(t, 3, sp.Replays)
	assert.Equal(t, 4, sp.Ops)
	// (125-90)/4 = 8.75 us an event node.
	assert.InDelta(t, 8.75, sp.NodeUs, 1e-9)
	assert.Equal(t, []graphOpProfile{{"c [1]", 1, 40, 0.4, 31.25}, {"a [1]", 2, 30, 0.3, 12.5}, {"b [2]", 1, 30, 0.3, 21.25}}, sp.ByOp)
	assert.Zero(t, medianReplay(nil))
	assert.Equal(t, us(7), medianReplay([]time.Duration{us(7)}))
}

func TestPercentileMs(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		d := make([]time.Duration, len(v))
		for i, x := range v {
			d[i] = time.Duration(x) * time.Millisecond
		}
		return d
	}
	assert.Zero(t, percentileMs(nil, 50))
	assert.InDelta(t, 7.0, percentileMs(ms(7), 99), 0)
	in := ms(5, 1, 4, 2, 3)
	assert.InDelta(t, 3.0, percentileMs(in, 50), 0)
	assert.InDelta(t, 5.0, percentileMs(in, 99), 0)
	assert.Equal(t, ms(5, 1, 4, 2, 3), in, "the input is not reordered")
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	assert.InDelta(t, 99.0, percentileMs(ms(hundred...), 99), 0)
}
