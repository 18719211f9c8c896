package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/lbrx/lbrx/models/llama"
	"github.com/lbrx/lbrx/text/chat"
	"github.com/lbrx/lbrx/text/tokenizer"
)

func init() {
	commands["chat"] = &command{
		summary: "chat with a model: one user message per stdin line, replies streamed; the KV cache is reused across turns",
		args:    []string{"MODEL"},
		setup:   chatSetup,
	}
}

func chatSetup(fs *flag.FlagSet) runFunc {
	mf := addModelFlags(fs)
	sf := addSamplingFlags(fs, 256)
	system := fs.String("system", "", "a system message opening the conversation")
	asJSON := fs.Bool("json", false, "stdin lines are JSON strings; print one JSON object per reply")
	return func(pos []string, stdout, stderr io.Writer) error {
		return runChat(mf, sf, pos[0], *system, *asJSON, stdout, stderr)
	}
}

func runChat(mf modelFlags, sf samplingFlags, path, system string, asJSON bool, stdout, stderr io.Writer) error {
	if *mf.ids != "" {
		return usagef("chat takes messages on stdin, not --ids")
	}
	o, err := sf.options()
	if err != nil {
		return err
	}
	tokPath := sf.tokenizerPath(path)
	tok, err := tokenizer.Load(tokPath)
	if err != nil {
		return err
	}
	tmpl, err := loadChatTemplate(tokPath)
	if err != nil {
		return err
	}
	m, err := mf.load(path)
	if err != nil {
		return err
	}
	defer func() { _ = m.Close() }()
	s := &chatSession{m: m, tok: tok, tmpl: tmpl, o: o, stops: *sf.stops, c: m.NewCache()}
	if system != "" {
		s.msgs = append(s.msgs, chat.Message{Role: "system", Content: system})
	}
	fmt.Fprintf(stderr, "chat with %s on %s (seed %d); one message per line, end with EOF\n", path, m.Device().Name(), o.Seed)
	interactive := false
	if f, ok := textStdin.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			interactive = true
		}
	}
	sc := bufio.NewScanner(textStdin)
	sc.Buffer(nil, maxRequestLine)
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	for turn := 1; ; turn++ {
		if interactive {
			fmt.Fprint(stderr, "> ")
		}
		if !sc.Scan() {
			break
		}
		msg := sc.Text()
		if asJSON {
			if err := json.Unmarshal(sc.Bytes(), &msg); err != nil {
				return fmt.Errorf("stdin line %d is not a JSON string: %w", turn, err)
			}
		}
		out := stdout
		if asJSON {
			out = io.Discard
		}
		r, err := s.reply(msg, out)
		if err != nil {
			return fmt.Errorf("turn %d: %w", turn, err)
		}
		if asJSON {
			if err := enc.Encode(map[string]any{
				"text": r.Text, "stop": r.Stop, "prompt_tokens": r.promptTokens, "cached_tokens": r.reused,
				"prefilled_tokens": r.Stats.PromptTokens, "generated_tokens": r.Stats.Generated,
				"prefill_tokens_per_s": r.Stats.PrefillRate(), "decode_tokens_per_s": r.Stats.DecodeRate(),
			}); err != nil {
				return err
			}
		} else {
			fmt.Fprintln(stdout)
		}
		fmt.Fprintf(stderr, "[turn %d: %d prompt tokens, %d reused from the cache, %d prefilled; stop: %s; %s]\n",
			turn, r.promptTokens, r.reused, r.Stats.PromptTokens, r.Stop, rates(r.Stats, m))
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("stdin: %w", err)
	}
	return nil
}

// chatSession is a conversation and the KV cache of what the model has
// read of it.
type chatSession struct {
	m     *llama.Model
	tok   *tokenizer.Tokenizer
	tmpl  *chat.Template
	o     llama.GenerateOptions
	stops []string
	msgs  []chat.Message
	c     *llama.Cache
	// cached are the token ids the cache holds, in order.
	cached []int
}

type chatReply struct {
	textResult
	promptTokens, reused int
}

// reply adds a user message, renders the whole conversation, and runs
// only the tokens past the longest prefix the cache already holds (the
// earlier turns, unless the template re-rendered them differently), then
// streams the reply to w and adds it to the conversation.
func (s *chatSession) reply(msg string, w io.Writer) (chatReply, error) {
	msgs := slices.Concat(s.msgs, []chat.Message{{Role: "user", Content: msg}})
	text, err := s.tmpl.Render(chat.Request{Messages: msgs, AddGenerationPrompt: true})
	if err != nil {
		return chatReply{}, err
	}
	ids, err := s.tok.Encode(text, false)
	if err != nil {
		return chatReply{}, err
	}
	if len(ids) == 0 {
		return chatReply{}, errNoPrompt
	}
	keep := 0
	for keep < len(ids) && keep < len(s.cached) && ids[keep] == s.cached[keep] {
		keep++
	}
	keep = min(keep, len(ids)-1) // at least one token runs, to get logits
	if err := s.c.Truncate(keep); err != nil {
		// A sliding-window cache cannot be cut back: read it all again.
		s.c.Reset()
		keep = 0
	}
	s.cached = s.cached[:keep]
	// Each turn's seed follows from the first, so a seeded chat repeats.
	o := s.o
	o.Seed += uint64(len(s.msgs))
	r, err := streamText(s.m, s.tok, s.c, ids[keep:], o, s.stops, w)
	if err != nil {
		// The cache may hold part of this turn: start afresh next time.
		s.c.Reset()
		s.cached = nil
		return chatReply{}, err
	}
	s.cached = append(append(s.cached, ids[keep:]...), r.IDs[:max(0, len(r.IDs)-1)]...)
	if len(s.cached) != s.c.Len() {
		return chatReply{}, fmt.Errorf("chat: the cache holds %d positions, the session counted %d", s.c.Len(), len(s.cached))
	}
	msgs = append(msgs, chat.Message{Role: "assistant", Content: r.Text})
	s.msgs = msgs
	return chatReply{textResult: r, promptTokens: len(ids), reused: keep}, nil
}
