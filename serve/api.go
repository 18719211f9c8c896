package serve

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
)

// completionRequest holds the fields of both endpoints' requests that the
// server reads; others are ignored, as OpenAI-compatible servers do.
type completionRequest struct {
	Model               string          `json:"model"`
	Messages            json.RawMessage `json:"messages"`
	Prompt              json.RawMessage `json:"prompt"`
	MaxTokens           *int            `json:"max_tokens"`
	MaxCompletionTokens *int            `json:"max_completion_tokens"`
	Temperature         *float64        `json:"temperature"`
	TopP                *float64        `json:"top_p"`
	Seed                *int64          `json:"seed"`
	Stop                json.RawMessage `json:"stop"`
	Stream              bool            `json:"stream"`
	StreamOptions       *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	N *int `json:"n"`
	// IgnoreEOS (an extension, as in vLLM) keeps generating after an
	// end-of-sequence token: for benchmarks of a fixed length.
	IgnoreEOS bool `json:"ignore_eos"`
}

// message is one chat turn; content is a string or a list of parts of
// which the text ones count.
type message struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

// decodeRequest reads the JSON body, bounded by MaxBytesReader.
func decodeRequest(r *http.Request) (*completionRequest, *apiError) {
	var req completionRequest
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(&req); err != nil {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			return nil, &apiError{status: http.StatusRequestEntityTooLarge, Message: fmt.Sprintf("request body is larger than %d bytes", mbe.Limit), Type: "invalid_request_error", Code: str("request_too_large")}
		}
		return nil, badRequest("", "invalid_json", "request body is not a valid JSON object: %v", err)
	}
	if dec.More() {
		return nil, badRequest("", "invalid_json", "request body holds more than one JSON value")
	}
	return &req, nil
}

// stops reads "stop": null, a string or a list of up to 4 strings.
func (q *completionRequest) stops() ([]string, *apiError) {
	if isNull(q.Stop) {
		return nil, nil
	}
	var one string
	if err := json.Unmarshal(q.Stop, &one); err == nil {
		if one == "" {
			return nil, nil
		}
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(q.Stop, &many); err != nil {
		return nil, badRequest("stop", "", "stop must be a string or a list of strings")
	}
	if len(many) > 4 {
		return nil, badRequest("stop", "", "stop holds %d strings, at most 4 are allowed", len(many))
	}
	var out []string
	for _, s := range many {
		if s != "" {
			out = append(out, s)
		}
	}
	return out, nil
}

// sampling checks temperature, top_p and n.
func (q *completionRequest) sampling() (temp, topP float64, seed uint64, e *apiError) {
	temp, topP = 1, 1
	if q.Temperature != nil {
		temp = *q.Temperature
		if math.IsNaN(temp) || temp < 0 || temp > 2 {
			return 0, 0, 0, badRequest("temperature", "", "temperature %v is not in [0, 2]", temp)
		}
	}
	if q.TopP != nil {
		topP = *q.TopP
		if math.IsNaN(topP) || topP <= 0 || topP > 1 {
			return 0, 0, 0, badRequest("top_p", "", "top_p %v is not in (0, 1]", topP)
		}
	}
	if q.Seed != nil {
		seed = uint64(*q.Seed)
	}
	if q.N != nil && *q.N != 1 {
		return 0, 0, 0, badRequest("n", "", "n = %d: this server returns one choice (n = 1)", *q.N)
	}
	return temp, topP, seed, nil
}

// maxTokens returns the request's max_tokens (max_completion_tokens for
// chat), nil when absent.
func (q *completionRequest) maxTokens() (*int, string) {
	if q.MaxCompletionTokens != nil {
		return q.MaxCompletionTokens, "max_completion_tokens"
	}
	return q.MaxTokens, "max_tokens"
}

// chatMessages reads messages: a non-empty list of {role, content} with
// content a string, null, or a list of parts ({"type": "text", "text"}).
func (q *completionRequest) chatMessages() ([]chatTurn, *apiError) {
	if isNull(q.Messages) {
		return nil, badRequest("messages", "", "messages is required")
	}
	var ms []message
	if err := json.Unmarshal(q.Messages, &ms); err != nil {
		return nil, badRequest("messages", "", "messages must be a list of {role, content} objects: %v", err)
	}
	if len(ms) == 0 {
		return nil, badRequest("messages", "", "messages is empty")
	}
	out := make([]chatTurn, len(ms))
	for i, m := range ms {
		if m.Role == "" {
			return nil, badRequest(fmt.Sprintf("messages[%d].role", i), "", "messages[%d] has no role", i)
		}
		text, err := contentText(m.Content)
		if err != nil {
			return nil, badRequest(fmt.Sprintf("messages[%d].content", i), "", "messages[%d].content: %v", i, err)
		}
		out[i] = chatTurn{Role: m.Role, Content: text}
	}
	return out, nil
}

// chatTurn is a message with its content as text.
type chatTurn struct{ Role, Content string }

func contentText(raw json.RawMessage) (string, error) {
	if isNull(raw) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", errors.New("must be a string or a list of content parts")
	}
	var b strings.Builder
	for i, p := range parts {
		if p.Type != "text" {
			return "", fmt.Errorf("part %d has type %q; only text parts are supported", i, p.Type)
		}
		b.WriteString(p.Text)
	}
	return b.String(), nil
}

// promptInput is a completion prompt: text or token ids.
type promptInput struct {
	text  string
	ids   []int
	isIDs bool
}

// completionPrompt reads prompt: a string, a list of one string, a list
// of token ids, or a list of one list of token ids.
func (q *completionRequest) completionPrompt(vocab int) (promptInput, *apiError) {
	if isNull(q.Prompt) {
		return promptInput{}, badRequest("prompt", "", "prompt is required")
	}
	var s string
	if err := json.Unmarshal(q.Prompt, &s); err == nil {
		return promptInput{text: s}, nil
	}
	var ss []string
	if err := json.Unmarshal(q.Prompt, &ss); err == nil {
		if len(ss) != 1 {
			return promptInput{}, badRequest("prompt", "", "prompt holds %d strings; this server takes one prompt per request", len(ss))
		}
		return promptInput{text: ss[0]}, nil
	}
	var ids []int
	if err := json.Unmarshal(q.Prompt, &ids); err != nil {
		var nested [][]int
		if err := json.Unmarshal(q.Prompt, &nested); err != nil {
			return promptInput{}, badRequest("prompt", "", "prompt must be a string or a list of token ids")
		}
		if len(nested) != 1 {
			return promptInput{}, badRequest("prompt", "", "prompt holds %d token lists; this server takes one prompt per request", len(nested))
		}
		ids = nested[0]
	}
	for i, id := range ids {
		if id < 0 || id >= vocab {
			return promptInput{}, badRequest("prompt", "", "prompt token %d (position %d) is outside the vocabulary [0, %d)", id, i, vocab)
		}
	}
	return promptInput{ids: ids, isIDs: true}, nil
}

func isNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || bytes.Equal(t, []byte("null"))
}
