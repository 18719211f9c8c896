package serve

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// post sends body to path and returns the status and the decoded error
// object (nil when the answer is not an error).
func post(t *testing.T, url, path, body string, hdr ...string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var v struct {
		Error map[string]any `json:"error"`
	}
	_ = json.Unmarshal(b, &v)
	return resp.StatusCode, v.Error
}

// Bad input gets a 4xx with an OpenAI-shaped error naming the problem.
func TestBadRequestsGetOpenAIErrors(t *testing.T) {
	_, hs := testServer(t, Config{MaxBodyBytes: 4096})
	cases := []struct {
		name, path, body string
		status           int
		param, contains  string
	}{
		{"malformed JSON", "/v1/chat/completions", `{"messages": [`, 400, "", "not a valid JSON"},
		{"two JSON values", "/v1/completions", `{"prompt":"a"} {}`, 400, "", "more than one"},
		{"no messages", "/v1/chat/completions", `{"model":"x"}`, 400, "messages", "required"},
		{"empty messages", "/v1/chat/completions", `{"messages":[]}`, 400, "messages", "empty"},
		{"message without role", "/v1/chat/completions", `{"messages":[{"content":"hi"}]}`, 400, "messages[0].role", "no role"},
		{"image part", "/v1/chat/completions", `{"messages":[{"role":"user","content":[{"type":"image_url"}]}]}`, 400, "messages[0].content", "only text"},
		{"no prompt", "/v1/completions", `{"model":"x"}`, 400, "prompt", "required"},
		{"prompt of a bad type", "/v1/completions", `{"prompt":{"a":1}}`, 400, "prompt", "string or a list"},
		{"token outside the vocabulary", "/v1/completions", `{"prompt":[1,2,256]}`, 400, "prompt", "outside the vocabulary"},
		{"two prompts", "/v1/completions", `{"prompt":["a","b"]}`, 400, "prompt", "one prompt"},
		{"negative max_tokens", "/v1/completions", `{"prompt":"a","max_tokens":-1}`, 400, "max_tokens", "at least 1"},
		{"zero max_tokens", "/v1/chat/completions", `{"messages":[{"role":"user","content":"a"}],"max_completion_tokens":0}`, 400, "max_completion_tokens", "at least 1"},
		{"too large max_tokens", "/v1/completions", `{"prompt":"a","max_tokens":100000}`, 400, "max_tokens", "too large"},
		{"prompt longer than the context", "/v1/completions", `{"prompt":"` + strings.Repeat("x", 200) + `"}`, 400, "messages", "context holds 128"},
		{"temperature out of range", "/v1/completions", `{"prompt":"a","temperature":3}`, 400, "temperature", "not in [0, 2]"},
		{"top_p out of range", "/v1/completions", `{"prompt":"a","top_p":0}`, 400, "top_p", "not in (0, 1]"},
		{"n > 1", "/v1/completions", `{"prompt":"a","n":2}`, 400, "n", "one choice"},
		{"five stop strings", "/v1/completions", `{"prompt":"a","stop":["a","b","c","d","e"]}`, 400, "stop", "at most 4"},
		{"stream_options without stream", "/v1/completions", `{"prompt":"a","stream_options":{"include_usage":true}}`, 400, "stream_options", "only allowed"},
		{"oversized body", "/v1/completions", `{"prompt":"` + strings.Repeat("x", 5000) + `"}`, 413, "", "larger than 4096 bytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, e := post(t, hs.URL, c.path, c.body)
			assert.Equal(t, c.status, status)
			require.NotNil(t, e, "an error object")
			assert.Contains(t, e["message"], c.contains)
			assert.Equal(t, "invalid_request_error", e["type"])
			if c.param != "" {
				assert.Equal(t, c.param, e["param"])
			}
		})
	}
	// A wrong method or path is not served.
	resp, err := http.Get(hs.URL + "/v1/completions")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
}

// The official client sees those errors as API errors with the status.
func TestClientSeesErrors(t *testing.T) {
	_, hs := testServer(t, Config{})
	c := client(hs.URL)
	_, err := c.Completions.New(context.Background(), openai.CompletionNewParams{
		Model: "tiny-llama", Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String("a")}, MaxTokens: openai.Int(1000),
	})
	require.Error(t, err)
	assert.Equal(t, 400, apiStatus(t, err))
	var e *openai.Error
	require.ErrorAs(t, err, &e)
	assert.Contains(t, e.Message, "too large")
	assert.Equal(t, "max_tokens", e.Param)
	assert.Equal(t, "invalid_request_error", e.Type)
}

// With an API key, every endpoint but /health wants it as a bearer token.
func TestAPIKey(t *testing.T) {
	_, hs := testServer(t, Config{APIKey: "s3cret"})
	body := `{"prompt":"a","max_tokens":1}`
	status, e := post(t, hs.URL, "/v1/completions", body)
	assert.Equal(t, 401, status)
	assert.Equal(t, "invalid_api_key", e["code"])
	status, _ = post(t, hs.URL, "/v1/completions", body, "Authorization", "Bearer s3cre")
	assert.Equal(t, 401, status)
	status, _ = post(t, hs.URL, "/v1/completions", body, "Authorization", "Bearer s3cret")
	assert.Equal(t, 200, status)
	resp, err := http.Get(hs.URL + "/health")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	resp, err = http.Get(hs.URL + "/metrics")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 401, resp.StatusCode)
	c := client(hs.URL, option.WithAPIKey("s3cret"))
	_, err = c.Models.List(context.Background())
	require.NoError(t, err)
}

// A full queue answers 429 at once; the queued requests still finish.
func TestQueueFull(t *testing.T) {
	entered, release := make(chan struct{}, 1), make(chan struct{})
	s, hs := testServer(t, Config{MaxBatch: 1, QueueSize: 1})
	// The engine takes the first request and waits; the second fills the
	// queue of one; the third is refused.
	s.eng.afterWake = func() {
		select {
		case entered <- struct{}{}:
		default:
		}
		<-release
	}
	body := `{"prompt":"a","max_tokens":4,"temperature":0}`
	done := make(chan int, 2)
	send := func() {
		st, _ := post(t, hs.URL, "/v1/completions", body)
		done <- st
	}
	go send()
	<-entered
	go send()
	require.Eventually(t, func() bool { return len(s.eng.queue) == 1 }, 5*time.Second, time.Millisecond)
	status, e := post(t, hs.URL, "/v1/completions", body)
	assert.Equal(t, http.StatusTooManyRequests, status)
	assert.Equal(t, "queue_full", e["code"])
	close(release)
	assert.Equal(t, 200, <-done)
	assert.Equal(t, 200, <-done)
}
