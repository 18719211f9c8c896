package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/lbrx/lbrx/models/llama"
	"github.com/lbrx/lbrx/text/chat"
	"github.com/lbrx/lbrx/text/tokenizer"
)

func init() {
	commands["generate"] = &command{
		summary: "generate with a Llama model: --prompt TEXT [--chat] streams text, --ids 1,17,42 prints ids",
		args:    []string{"MODEL"},
		setup:   generateSetup,
	}
}

func generateSetup(fs *flag.FlagSet) runFunc {
	mf := addModelFlags(fs)
	sf := addSamplingFlags(fs, 32)
	prompt := fs.String("prompt", "", "prompt text, tokenized with the model's tokenizer (instead of --ids)")
	useChat := fs.Bool("chat", false, "wrap the prompt as a user message in the model's chat template")
	system := fs.String("system", "", "with --chat: a system message before the prompt")
	asJSON := fs.Bool("json", false, "print one JSON object (text or ids, stop reason, statistics) instead of streaming")
	devices := addDevicesFlag(fs)
	return func(pos []string, stdout, stderr io.Writer) error {
		hasPrompt := false
		fs.Visit(func(f *flag.Flag) { hasPrompt = hasPrompt || f.Name == "prompt" })
		if *devices != "" {
			return generateOnRanks(mf, sf, *devices, pos[0], hasPrompt, *asJSON, stdout)
		}
		g := textGenerate{prompt: *prompt, chat: *useChat, system: *system, json: *asJSON}
		return runGenerate(mf, sf, pos[0], hasPrompt, g, stdout, stderr)
	}
}

// textGenerate are generate's flags for text prompts.
type textGenerate struct {
	prompt, system string
	chat, json     bool
}

func runGenerate(mf modelFlags, sf samplingFlags, path string, hasPrompt bool, g textGenerate, stdout, stderr io.Writer) error {
	o, err := sf.options()
	if err != nil {
		return err
	}
	switch {
	case hasPrompt && *mf.ids != "":
		return usagef("--prompt and --ids exclude each other")
	case !hasPrompt && (g.chat || g.system != "" || len(*sf.stops) > 0):
		return usagef("--chat, --system and --stop need --prompt")
	case g.system != "" && !g.chat:
		return usagef("--system needs --chat")
	}
	if !hasPrompt {
		return generateIDs(mf, path, o, g.json, stdout)
	}
	tok, err := tokenizer.Load(sf.tokenizerPath(path))
	if err != nil {
		return err
	}
	var ids []int
	if g.chat {
		tmpl, err := loadChatTemplate(sf.tokenizerPath(path))
		if err != nil {
			return err
		}
		var msgs []chat.Message
		if g.system != "" {
			msgs = append(msgs, chat.Message{Role: "system", Content: g.system})
		}
		text, err := tmpl.Render(chat.Request{Messages: append(msgs, chat.Message{Role: "user", Content: g.prompt}), AddGenerationPrompt: true})
		if err != nil {
			return err
		}
		// The template writes the BOS token itself, so no special tokens
		// are added (apply_chat_template's tokenize=True does the same).
		ids, err = tok.Encode(text, false)
		if err != nil {
			return err
		}
	} else if ids, err = tok.Encode(g.prompt, true); err != nil {
		return err
	}
	if len(ids) == 0 {
		return errNoPrompt
	}
	m, err := mf.load(path)
	if err != nil {
		return err
	}
	defer func() { _ = m.Close() }()
	out := stdout
	if g.json {
		out = io.Discard
	}
	res, err := streamText(m, tok, m.NewCache(), ids, o, *sf.stops, out)
	if err != nil {
		return err
	}
	st := res.Stats
	if g.json {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		return enc.Encode(map[string]any{
			"text": res.Text, "ids": res.IDs, "stop": res.Stop, "seed": o.Seed, "device": m.Device().Name(),
			"prompt_tokens": st.PromptTokens, "generated_tokens": st.Generated,
			"prefill_tokens_per_s": st.PrefillRate(), "decode_tokens_per_s": st.DecodeRate(),
			"prefill_seconds": st.Prefill.Seconds(), "decode_seconds": st.Decode.Seconds(),
		})
	}
	fmt.Fprintln(stdout)
	fmt.Fprintf(stderr, "stop: %s; seed: %d; %s\n", res.Stop, o.Seed, rates(st, m))
	if n := fallbackNote(); n != "" {
		fmt.Fprintln(stderr, n)
	}
	return nil
}

// generateIDs is generate --ids: token ids in, token ids out.
func generateIDs(mf modelFlags, path string, o llama.GenerateOptions, asJSON bool, stdout io.Writer) error {
	m, ids, err := mf.open(path)
	if err != nil {
		return err
	}
	defer func() { _ = m.Close() }()
	var out []int
	st, err := m.Generate(ids, o, func(id int) bool { out = append(out, id); return true })
	if err != nil {
		return err
	}
	stop, stopText := "max_tokens", fmt.Sprintf("--max-tokens %d reached", o.MaxTokens)
	if st.Stop == llama.StopEOS {
		stop, stopText = "eos", fmt.Sprintf("end-of-sequence token %d", out[len(out)-1])
	}
	if asJSON {
		return json.NewEncoder(stdout).Encode(map[string]any{
			"ids": out, "device": m.Device().Name(), "prompt_tokens": st.PromptTokens, "generated_tokens": st.Generated, "stop_reason": stop, "seed": o.Seed,
			"prefill_tokens_per_s": st.PrefillRate(), "decode_tokens_per_s": st.DecodeRate(),
			"prefill_seconds": st.Prefill.Seconds(), "decode_seconds": st.Decode.Seconds(),
		})
	}
	s := make([]string, len(out))
	for i, id := range out {
		s[i] = strconv.Itoa(id)
	}
	fmt.Fprintf(stdout, "ids: %s\n", strings.Join(s, ","))
	fmt.Fprintln(stdout, rates(st, m))
	fmt.Fprintf(stdout, "stop: %s\n", stopText)
	if n := fallbackNote(); n != "" {
		fmt.Fprintln(stdout, n)
	}
	return nil
}

// rates is the statistics line of a generation.
func rates(st llama.Stats, m *llama.Model) string {
	return fmt.Sprintf("prefill: %d tokens in %v (%.1f tokens/s); decode: %d tokens in %v (%.1f tokens/s) on %s",
		st.PromptTokens, st.Prefill.Round(1000), st.PrefillRate(), max(0, st.Generated-1), st.Decode.Round(1000), st.DecodeRate(), m.Device().Name())
}
