package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/lbrx/lbrx/models/llama"
)

func init() {
	commands["generate"] = command{
		summary: "generate token ids with a Llama model: generate MODEL --ids 1,17,42 --max-tokens N [--temperature T --top-p P --seed S]",
		run:     runGenerate,
	}
}

const generateUsage = "usage: lbrx generate MODEL --ids 1,17,42 --max-tokens N [--temperature T] [--top-p P] [--seed S] [--device D] [--dtype f32|f16|bf16] [--ignore-eos] [--json]"

func runGenerate(args []string, stdout, _ io.Writer) error {
	mf := newModelFlags("generate", generateUsage)
	fs := mf.fs
	maxTokens := fs.Int("max-tokens", 32, "most tokens to generate")
	temp := fs.Float64("temperature", 0, "sampling temperature (0: greedy)")
	topP := fs.Float64("top-p", 1, "nucleus sampling probability mass in (0, 1]")
	seed := fs.Uint64("seed", 0, "random seed for sampling")
	ignoreEOS := fs.Bool("ignore-eos", false, "keep generating after an end-of-sequence token")
	asJSON := fs.Bool("json", false, "print one JSON object")
	path, err := mf.parse(args)
	if err != nil {
		return err
	}
	if *maxTokens < 1 {
		return usagef("--max-tokens %d must be at least 1", *maxTokens)
	}
	if _, err := llama.NewSampler(llama.Sampling{Temperature: *temp, TopP: *topP}); err != nil {
		return usagef("%v", err)
	}
	m, ids, err := mf.open(path)
	if err != nil {
		return err
	}
	defer func() { _ = m.Close() }()
	var out []int
	opts := llama.GenerateOptions{Sampling: llama.Sampling{Temperature: *temp, TopP: *topP, Seed: *seed}, MaxTokens: *maxTokens, IgnoreEOS: *ignoreEOS}
	st, err := m.Generate(ids, opts, func(id int) bool { out = append(out, id); return true })
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(map[string]any{
			"ids": out, "device": m.Device().Name(), "prompt_tokens": st.PromptTokens, "generated_tokens": st.Generated,
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
	if n := fallbackNote(); n != "" {
		fmt.Fprintln(stdout, n)
	}
	return nil
}
