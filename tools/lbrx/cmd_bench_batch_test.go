package main

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/core/testfiles"
)

// bench batch on every available device: the JSON counts what was asked,
// the timings are positive and ordered, no op fell back to the CPU on a
// GPU, and on CUDA --profile sums the recorded pass's ops.
func TestBenchBatchJSON(t *testing.T) {
	model := testfiles.Path(t, "safetensors", "tiny-llama")
	for _, d := range core.Devices() {
		if !d.Status().Available {
			continue
		}
		t.Run(d.Name(), func(t *testing.T) {
			before := core.Fallbacks()
			code, stdout, stderr := runCmd("bench", "batch", model, "--width", "4", "--seqs", "3", "--prompt", "5", "--steps", "6", "--device", d.Name(), "--json")
			require.Equal(t, 0, code, stderr)
			var r batchResult
			require.NoError(t, json.Unmarshal([]byte(stdout), &r))
			assert.Equal(t, d.Name(), r.Device)
			assert.Equal(t, 4, r.Width)
			assert.Equal(t, 3, r.Seqs)
			assert.Equal(t, 5, r.Prompt)
			assert.Equal(t, 6, r.Steps)
			assert.Positive(t, r.StepMsP50)
			assert.Positive(t, r.StepMsMean)
			assert.InDelta(t, 3/(r.StepMsMean/1000), r.TokensPerS, 0.01*r.TokensPerS)
			assert.Nil(t, r.StepProfile)
			if d.Kind() == "cuda" || d.Kind() == "metal" { // the test's fake device runs every op on the CPU
				assert.Equal(t, before, core.Fallbacks(), "ops fell back to the CPU")
			}
			if d.Kind() != "cuda" {
				return
			}
			code, stdout, stderr = runCmd("bench", "batch", model, "--width", "2", "--prompt", "3", "--steps", "4", "--device", d.Name(), "--profile", "--json")
			require.Equal(t, 0, code, stderr)
			r = batchResult{}
			require.NoError(t, json.Unmarshal([]byte(stdout), &r))
			require.NotNil(t, r.StepProfile)
			sp := r.StepProfile
			assert.Positive(t, sp.Ops)
			assert.Positive(t, sp.StepUs)
			sum := 0.0
			for _, o := range sp.ByOp {
				sum += o.Us
			}
			assert.InDelta(t, sp.StepUs, sum, 0.01*sp.StepUs)
		})
	}
}

// bench batch refuses impossible shapes with a usage error (exit 2).
func TestBenchBatchFlags(t *testing.T) {
	model := testfiles.Path(t, "safetensors", "tiny-llama")
	for _, args := range [][]string{
		{"--width", "0"},
		{"--width", "2", "--seqs", "3"},
		{"--seqs", "-1"},
		{"--prompt", "0"},
		{"--steps", "1"},
	} {
		code, _, stderr := runCmd(append([]string{"bench", "batch", model, "--device", "cpu"}, args...)...)
		assert.Equal(t, 2, code, "%v: %s", args, stderr)
	}
	code, _, stderr := runCmd("bench", "batch", model, "--device", "cpu", "--profile")
	assert.Equal(t, 2, code, stderr)
	assert.Contains(t, stderr, "CUDA")
}
