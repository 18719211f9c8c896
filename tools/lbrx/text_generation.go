package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/lbrx/lbrx/models/llama"
	"github.com/lbrx/lbrx/text/chat"
	"github.com/lbrx/lbrx/text/tokenizer"
)

// samplingFlags are the sampling and stopping flags of generate and chat.
type samplingFlags struct {
	maxTokens                       *int
	temp, topP, minP, repeatPenalty *float64
	topK, repeatLastN               *int
	seed                            *string
	ignoreEOS                       *bool
	stops                           *stringList
	tokenizer                       *string
}

func addSamplingFlags(fs *flag.FlagSet, maxTokens int) samplingFlags {
	stops := &stringList{}
	fs.Var(stops, "stop", "stop generating at this text, which is not printed (repeatable)")
	return samplingFlags{
		maxTokens:     fs.Int("max-tokens", maxTokens, "most tokens to generate"),
		temp:          fs.Float64("temperature", 0, "sampling temperature, >= 0 (0: greedy)"),
		topK:          fs.Int("top-k", 0, "keep the k most likely tokens (0: all)"),
		topP:          fs.Float64("top-p", 1, "nucleus sampling probability mass in (0, 1]"),
		minP:          fs.Float64("min-p", 0, "drop tokens less likely than this times the most likely (0: off)"),
		repeatPenalty: fs.Float64("repeat-penalty", 1, "repetition penalty (1: off)"),
		repeatLastN:   fs.Int("repeat-last-n", 64, "tokens the repetition penalty looks back over (0: all)"),
		seed:          fs.String("seed", "", "random seed (default: a random one, reported)"),
		ignoreEOS:     fs.Bool("ignore-eos", false, "keep generating after an end-of-sequence token"),
		stops:         stops,
		tokenizer:     fs.String("tokenizer", "", "tokenizer.json, model directory or .gguf (default: MODEL)"),
	}
}

// options checks the flags and returns the generation options; the seed
// is drawn at random unless --seed was given.
func (f samplingFlags) options() (llama.GenerateOptions, error) {
	if *f.maxTokens < 1 {
		return llama.GenerateOptions{}, usagef("--max-tokens %d must be at least 1", *f.maxTokens)
	}
	if t := *f.temp; !(t >= 0) || math.IsInf(t, 1) {
		return llama.GenerateOptions{}, usagef("--temperature %v must be a finite number >= 0 (0: greedy)", t)
	}
	if p := *f.topP; !(p > 0 && p <= 1) {
		return llama.GenerateOptions{}, usagef("--top-p %v must be in (0, 1]", p)
	}
	var seed uint64
	if *f.seed == "" {
		seed = rand.Uint64() //nolint:gosec // a sampling seed, reported so the run can be repeated
	} else if _, err := fmt.Sscan(*f.seed, &seed); err != nil {
		return llama.GenerateOptions{}, usagef("--seed %q is not an unsigned integer", *f.seed)
	}
	for _, s := range *f.stops {
		if s == "" {
			return llama.GenerateOptions{}, usagef("--stop needs a non-empty string")
		}
	}
	s := llama.Sampling{Temperature: *f.temp, TopK: *f.topK, TopP: *f.topP, MinP: *f.minP,
		RepeatPenalty: *f.repeatPenalty, RepeatLastN: *f.repeatLastN, Seed: seed}
	if _, err := llama.NewSampler(s); err != nil {
		return llama.GenerateOptions{}, usagef("%v", err)
	}
	return llama.GenerateOptions{Sampling: s, MaxTokens: *f.maxTokens, IgnoreEOS: *f.ignoreEOS}, nil
}

// tokenizerPath is --tokenizer, or the model path.
func (f samplingFlags) tokenizerPath(model string) string {
	if *f.tokenizer != "" {
		return *f.tokenizer
	}
	return model
}

// loadChatTemplate finds the chat template beside a tokenizer: in the
// model directory, the directory of a tokenizer.json, or the GGUF file.
func loadChatTemplate(tokPath string) (*chat.Template, error) {
	p := tokPath
	if st, err := os.Stat(p); err == nil && !st.IsDir() && !strings.HasSuffix(p, ".gguf") { //nolint:gosec // the user names the tokenizer to read
		p = filepath.Dir(p)
	}
	t, err := chat.Load(p)
	if err != nil {
		return nil, fmt.Errorf("--chat needs a chat template: %w", err)
	}
	return t, nil
}

// Stop reasons beyond the model's own (eos, length).
const (
	stopString  = "stop"    // a --stop string
	stopContext = "context" // the model's context is full
)

// textResult is one generation's outcome.
type textResult struct {
	Text  string
	IDs   []int
	Stats llama.Stats
	Stop  string
}

// streamText generates from ids on top of cache c and writes the decoded
// text to w as tokens arrive (special tokens skipped, stop strings cut).
// The model's context (max_position_embeddings) bounds prompt and reply.
func streamText(m *llama.Model, tok *tokenizer.Tokenizer, c *llama.Cache, ids []int, o llama.GenerateOptions, stops []string, w io.Writer) (textResult, error) {
	var res textResult
	if ctx := m.Config.MaxPositions; ctx > 0 {
		used := c.Len() + len(ids)
		if used >= ctx {
			return res, fmt.Errorf("the prompt needs %d positions (%d new tokens after %d cached); the model's context is %d tokens (max_position_embeddings), leaving no room to generate", used, len(ids), c.Len(), ctx)
		}
		if room := ctx - used; o.MaxTokens > room {
			o.MaxTokens = room
			res.Stop = stopContext
		}
	}
	o.EOS = tok.EOS()
	dec := tok.NewDecoder(true)
	st := stopText{stops: stops}
	var sb strings.Builder
	var werr error
	emit := func(s string) bool {
		if s == "" {
			return true
		}
		sb.WriteString(s)
		if _, werr = io.WriteString(w, s); werr != nil {
			return false
		}
		return true
	}
	stopped := false
	stats, err := m.GenerateCache(c, ids, o, func(id int) bool {
		res.IDs = append(res.IDs, id)
		piece, err := dec.Add(id)
		if err != nil {
			werr = err
			return false
		}
		out, hit := st.push(piece)
		if !emit(out) {
			return false
		}
		stopped = hit
		return !hit
	})
	if err != nil {
		return res, err
	}
	if werr != nil {
		return res, werr
	}
	res.Stats = stats
	if !stopped {
		tail, err := dec.Flush()
		if err != nil {
			return res, err
		}
		out, hit := st.push(tail)
		stopped = hit
		if !hit {
			out += st.flush()
		}
		if !emit(out) {
			return res, werr
		}
	}
	switch {
	case stopped:
		res.Stop = stopString
	case stats.Stop == llama.StopEOS:
		res.Stop = string(llama.StopEOS)
	case res.Stop == stopContext && stats.Generated == o.MaxTokens:
	default:
		res.Stop = string(stats.Stop)
	}
	res.Text = sb.String()
	return res, nil
}

var errNoPrompt = errors.New("the prompt is empty after tokenizing")
