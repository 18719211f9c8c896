package serve

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/lbrx/lbrx/models/sample"
	"github.com/lbrx/lbrx/text/chat"
)

// kind tells the two endpoints apart where their responses differ.
type kind int

const (
	kindChat kind = iota
	kindCompletion
)

// generation is a checked request, ready for the engine.
type generation struct {
	kind         kind
	prompt       []int
	maxTokens    int
	sampling     sample.Options
	stops        []string
	stream       bool
	ignoreEOS    bool
	includeUsage bool
	id           string
	created      int64
}

func (s *Server) chatCompletions(w http.ResponseWriter, r *http.Request) {
	s.inflight.Add(1) // before parse checks closing: see Shutdown
	defer s.inflight.Add(-1)
	g, e := s.parse(w, r, kindChat)
	if e != nil {
		writeError(w, e)
		return
	}
	s.run(w, r, g)
}

func (s *Server) completions(w http.ResponseWriter, r *http.Request) {
	s.inflight.Add(1) // before parse checks closing: see Shutdown
	defer s.inflight.Add(-1)
	g, e := s.parse(w, r, kindCompletion)
	if e != nil {
		writeError(w, e)
		return
	}
	s.run(w, r, g)
}

// parse reads and checks a request of either endpoint.
func (s *Server) parse(w http.ResponseWriter, r *http.Request, k kind) (*generation, *apiError) {
	if s.closing.Load() {
		return nil, errClosing
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
	q, e := decodeRequest(r)
	if e != nil {
		return nil, e
	}
	g := &generation{kind: k, stream: q.Stream, ignoreEOS: q.IgnoreEOS, created: time.Now().Unix(), id: newID(k)}
	if q.StreamOptions != nil {
		if !q.Stream {
			return nil, badRequest("stream_options", "", "stream_options is only allowed with stream: true")
		}
		g.includeUsage = q.StreamOptions.IncludeUsage
	}
	temp, topP, seed, e := q.sampling()
	if e != nil {
		return nil, e
	}
	g.sampling = sample.Options{Temperature: temp, TopP: topP, Seed: seed}
	if g.stops, e = q.stops(); e != nil {
		return nil, e
	}
	switch k {
	case kindChat:
		if !isNull(q.Prompt) {
			return nil, badRequest("prompt", "", "chat completions take messages, not prompt")
		}
		turns, e := q.chatMessages()
		if e != nil {
			return nil, e
		}
		if s.cfg.Template == nil {
			return nil, badRequest("messages", "no_chat_template", "the model has no chat template; use /v1/completions")
		}
		msgs := make([]chat.Message, len(turns))
		for i, t := range turns {
			msgs[i] = chat.Message{Role: t.Role, Content: t.Content}
		}
		text, err := s.cfg.Template.Render(chat.Request{Messages: msgs, AddGenerationPrompt: true})
		if err != nil {
			return nil, badRequest("messages", "", "rendering the chat template: %v", err)
		}
		// The template writes the special tokens itself, as transformers'
		// apply_chat_template does.
		if g.prompt, err = s.cfg.Tokenizer.Encode(text, false); err != nil {
			return nil, badRequest("messages", "", "tokenizing the conversation: %v", err)
		}
	case kindCompletion:
		if !isNull(q.Messages) {
			return nil, badRequest("messages", "", "completions take prompt, not messages")
		}
		p, e := q.completionPrompt(s.cfg.Model.Config.VocabSize)
		if e != nil {
			return nil, e
		}
		g.prompt = p.ids
		if !p.isIDs {
			var err error
			if g.prompt, err = s.cfg.Tokenizer.Encode(p.text, true); err != nil {
				return nil, badRequest("prompt", "", "tokenizing the prompt: %v", err)
			}
		}
	}
	n, ctx := len(g.prompt), s.cfg.Context
	if n == 0 {
		return nil, badRequest("prompt", "", "the prompt has no tokens")
	}
	if n >= ctx {
		return nil, badRequest("messages", "context_length_exceeded", "the prompt has %d tokens; the context holds %d positions, so at most %d prompt tokens", n, ctx, ctx-1)
	}
	mt, name := q.maxTokens()
	g.maxTokens = ctx - n
	if mt != nil {
		switch {
		case *mt < 1:
			return nil, badRequest(name, "", "%s is %d; it must be at least 1", name, *mt)
		case *mt > ctx-n:
			return nil, badRequest(name, "context_length_exceeded", "%s %d is too large: the prompt's %d tokens leave %d of the context's %d positions", name, *mt, n, ctx-n, ctx)
		}
		g.maxTokens = *mt
	}
	return g, nil
}

// run queues g and writes its response.
func (s *Server) run(w http.ResponseWriter, r *http.Request, g *generation) {
	sm, err := sample.New(g.sampling)
	if err != nil {
		writeError(w, badRequest("", "", "%v", err))
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	j := newJob(ctx, g.prompt, g.maxTokens, sm)
	j.ignoreEOS = g.ignoreEOS
	if e := s.eng.submit(j); e != nil {
		writeError(w, e)
		return
	}
	out := newOutput(s.cfg.Tokenizer, g.stops)
	if g.stream {
		s.stream(w, g, j, out, cancel)
		return
	}
	finish, err := out.collect(ctx, j, cancel)
	if err != nil {
		writeError(w, engineError(err))
		return
	}
	usage := usage{PromptTokens: len(g.prompt), CompletionTokens: out.generated, TotalTokens: len(g.prompt) + out.generated}
	var choice map[string]any
	if g.kind == kindChat {
		choice = map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": out.text.String()}, "finish_reason": finish, "logprobs": nil}
	} else {
		choice = map[string]any{"index": 0, "text": out.text.String(), "finish_reason": finish, "logprobs": nil}
	}
	writeJSON(w, map[string]any{
		"id": g.id, "object": g.object(false), "created": g.created, "model": s.cfg.Name,
		"choices": []any{choice}, "usage": usage,
	})
}

// usage is OpenAI's token accounting.
type usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

func (g *generation) object(chunk bool) string {
	switch {
	case g.kind == kindChat && chunk:
		return "chat.completion.chunk"
	case g.kind == kindChat:
		return "chat.completion"
	}
	return "text_completion"
}

// engineError turns an engine failure into a response.
func engineError(err error) *apiError {
	if errors.Is(err, errShutdown) {
		return errClosing
	}
	return &apiError{status: http.StatusInternalServerError, Message: err.Error(), Type: "server_error"}
}

func newID(k kind) string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	if k == kindChat {
		return "chatcmpl-" + hex.EncodeToString(b[:])
	}
	return "cmpl-" + hex.EncodeToString(b[:])
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
