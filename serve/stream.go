package serve

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// stream writes j's tokens as server-sent events in OpenAI's chunk
// format, ending with data: [DONE].
func (s *Server) stream(w http.ResponseWriter, g *generation, j *job, o *output, cancel context.CancelFunc) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("Connection", "keep-alive")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	send := func(v any) bool {
		b, err := json.Marshal(v)
		if err != nil {
			return false
		}
		if _, err := fmt.Fprintf(w, "data: %s\n\n", b); err != nil {
			return false
		}
		if flusher != nil {
			flusher.Flush()
		}
		return true
	}
	chunk := func(delta *string, finish string) map[string]any {
		var fr any
		if finish != "" {
			fr = finish
		}
		c := map[string]any{"index": 0, "finish_reason": fr, "logprobs": nil}
		if g.kind == kindChat {
			d := map[string]any{}
			if delta != nil {
				d["content"] = *delta
			}
			c["delta"] = d
		} else {
			t := ""
			if delta != nil {
				t = *delta
			}
			c["text"] = t
		}
		m := map[string]any{"id": g.id, "object": g.object(true), "created": g.created, "model": s.cfg.Name, "choices": []any{c}}
		if g.includeUsage {
			m["usage"] = nil
		}
		return m
	}
	if g.kind == kindChat {
		first := chunk(nil, "")
		first["choices"].([]any)[0].(map[string]any)["delta"] = map[string]any{"role": "assistant", "content": ""}
		if !send(first) {
			return
		}
	}
	ctx := j.ctx
	for {
		var ev event
		select {
		case <-ctx.Done():
			return // the client went away; the engine frees the slot
		case ev = <-j.events:
		}
		delta, finish, err := o.add(ev)
		if err != nil {
			e := engineError(err)
			send(map[string]any{"error": e})
			return
		}
		if delta != "" && !send(chunk(&delta, "")) {
			cancel()
			return
		}
		if finish == "" {
			continue
		}
		cancel()
		if !send(chunk(nil, finish)) {
			return
		}
		if g.includeUsage {
			send(map[string]any{
				"id": g.id, "object": g.object(true), "created": g.created, "model": s.cfg.Name, "choices": []any{},
				"usage": usage{PromptTokens: len(g.prompt), CompletionTokens: o.generated, TotalTokens: len(g.prompt) + o.generated},
			})
		}
		_, _ = fmt.Fprint(w, "data: [DONE]\n\n")
		if flusher != nil {
			flusher.Flush()
		}
		return
	}
}
