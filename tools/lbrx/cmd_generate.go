package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/lbrx/lbrx/models/llama"
)

func init() {
	commands["generate"] = &command{
		summary: "generate token ids with a Llama model from prompt ids (greedy or sampled)",
		args:    []string{"MODEL"},
		setup:   generateSetup,
	}
}

func generateSetup(fs *flag.FlagSet) runFunc {
	mf := addModelFlags(fs)
	maxTokens := fs.Int("max-tokens", 32, "most tokens to generate")
	temp := fs.Float64("temperature", 0, "sampling temperature, >= 0 (0: greedy)")
	topP := fs.Float64("top-p", 1, "nucleus sampling probability mass in (0, 1]")
	seed := fs.Uint64("seed", 0, "random seed for sampling")
	ignoreEOS := fs.Bool("ignore-eos", false, "keep generating after an end-of-sequence token")
	asJSON := fs.Bool("json", false, "print one JSON object")
	return func(pos []string, stdout, _ io.Writer) error {
		return runGenerate(mf, pos[0], generateOptions{*maxTokens, *temp, *topP, *seed, *ignoreEOS, *asJSON}, stdout)
	}
}

// generateOptions are generate's own flags.
type generateOptions struct {
	maxTokens int
	temp      float64
	topP      float64
	seed      uint64
	ignoreEOS bool
	json      bool
}

func runGenerate(mf modelFlags, path string, o generateOptions, stdout io.Writer) error {
	if o.maxTokens < 1 {
		return usagef("--max-tokens %d must be at least 1", o.maxTokens)
	}
	if !(o.temp >= 0) || math.IsInf(o.temp, 1) {
		return usagef("--temperature %v must be a finite number >= 0 (0: greedy)", o.temp)
	}
	if !(o.topP > 0 && o.topP <= 1) {
		return usagef("--top-p %v must be in (0, 1]", o.topP)
	}
	if _, err := llama.NewSampler(llama.Sampling{Temperature: o.temp, TopP: o.topP}); err != nil {
		return usagef("%v", err)
	}
	m, ids, err := mf.open(path)
	if err != nil {
		return err
	}
	defer func() { _ = m.Close() }()
	var out []int
	opts := llama.GenerateOptions{Sampling: llama.Sampling{Temperature: o.temp, TopP: o.topP, Seed: o.seed}, MaxTokens: o.maxTokens, IgnoreEOS: o.ignoreEOS}
	st, err := m.Generate(ids, opts, func(id int) bool { out = append(out, id); return true })
	if err != nil {
		return err
	}
	stop, stopText := "max_tokens", fmt.Sprintf("--max-tokens %d reached", o.maxTokens)
	if n := len(out); n > 0 && !o.ignoreEOS && slices.Contains(m.Config.EOS, out[n-1]) {
		stop, stopText = "eos", fmt.Sprintf("end-of-sequence token %d", out[n-1])
	}
	if o.json {
		return json.NewEncoder(stdout).Encode(map[string]any{
			"ids": out, "device": m.Device().Name(), "prompt_tokens": st.PromptTokens, "generated_tokens": st.Generated, "stop_reason": stop,
			"prefill_tokens_per_s": st.PrefillRate(), "decode_tokens_per_s": st.DecodeRate(),
			"prefill_seconds": st.Prefill.Seconds(), "decode_seconds": st.Decode.Seconds(),
		})
	}
	s := make([]string, len(out))
	for i, id := range out {
		s[i] = strconv.Itoa(id)
	}
	fmt.Fprintf(stdout, "ids: %s\n", strings.Join(s, ","))
	fmt.Fprintf(stdout, "prefill: %d tokens in %v (%.1f tokens/s); decode: %d tokens in %v (%.1f tokens/s) on %s\n",
		st.PromptTokens, st.Prefill.Round(1000), st.PrefillRate(), max(0, st.Generated-1), st.Decode.Round(1000), st.DecodeRate(), m.Device().Name())
	fmt.Fprintf(stdout, "stop: %s\n", stopText)
	if n := fallbackNote(); n != "" {
		fmt.Fprintln(stdout, n)
	}
	return nil
}
