package serve

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// loadRequest is one client's greedy request in a load run.
type loadRequest struct {
	chat      bool
	prompt    string
	maxTokens int
}

// loadResult is what one streaming client saw.
type loadResult struct {
	text, finish string
	tokens       int
	ttft, total  time.Duration
	gaps         []time.Duration // between consecutive content chunks
	err          error
}

// streamOne sends r as a streaming request through the official client
// and records its text, usage and timing.
func streamOne(ctx context.Context, c openai.Client, r loadRequest) loadResult {
	var res loadResult
	start := time.Now()
	last := start
	mark := func() {
		now := time.Now()
		if res.ttft == 0 {
			res.ttft = now.Sub(start)
		} else {
			res.gaps = append(res.gaps, now.Sub(last))
		}
		last = now
	}
	usage := openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	if r.chat {
		st := c.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
			Model: "tiny-llama", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(r.prompt)},
			MaxTokens: openai.Int(int64(r.maxTokens)), Temperature: openai.Float(0), StreamOptions: usage,
		})
		for st.Next() {
			ch := st.Current()
			if ch.Usage.CompletionTokens > 0 {
				res.tokens = int(ch.Usage.CompletionTokens)
			}
			if len(ch.Choices) == 0 {
				continue
			}
			if d := ch.Choices[0].Delta.Content; d != "" {
				mark()
				res.text += d
			}
			if f := ch.Choices[0].FinishReason; f != "" {
				res.finish = f
			}
		}
		res.err = st.Err()
		return res
	}
	st := c.Completions.NewStreaming(ctx, openai.CompletionNewParams{
		Model: "tiny-llama", Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String(r.prompt)},
		MaxTokens: openai.Int(int64(r.maxTokens)), Temperature: openai.Float(0),
		StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
	})
	for st.Next() {
		ch := st.Current()
		if ch.Usage.CompletionTokens > 0 {
			res.tokens = int(ch.Usage.CompletionTokens)
		}
		if len(ch.Choices) == 0 {
			continue
		}
		if d := ch.Choices[0].Text; d != "" {
			mark()
			res.text += d
		}
		if f := ch.Choices[0].FinishReason; f != "" {
			res.finish = string(f)
		}
	}
	res.err = st.Err()
	return res
}

// concurrently runs every request at once, one client each.
func concurrently(ctx context.Context, c openai.Client, reqs []loadRequest) []loadResult {
	out := make([]loadResult, len(reqs))
	var wg sync.WaitGroup
	for i, r := range reqs {
		wg.Go(func() { out[i] = streamOne(ctx, c, r) })
	}
	wg.Wait()
	return out
}

// loadRequests returns n distinct requests, chat and completions, of
// varied prompt and answer lengths.
func loadRequests(n int) []loadRequest {
	out := make([]loadRequest, n)
	for i := range out {
		out[i] = loadRequest{
			chat:      i%2 == 0,
			prompt:    fmt.Sprintf("Request %d: %s", i, "tell me about the number "[:5+i%20]),
			maxTokens: 8 + (i*7)%40,
		}
	}
	return out
}

// 32 streaming clients at once against a batch of 8 (the rest queued):
// no errors, and each one's greedy text, finish reason and token count
// are those of the same request sent alone.
func TestLoad32StreamingClientsMatchAlone(t *testing.T) {
	s, hs := testServer(t, Config{MaxBatch: 8, QueueSize: 32})
	c := client(hs.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	reqs := loadRequests(32)
	alone := make([]loadResult, len(reqs))
	for i, r := range reqs {
		alone[i] = streamOne(ctx, c, r)
		require.NoError(t, alone[i].err, "request %d alone", i)
		require.NotEmpty(t, alone[i].finish, "request %d alone", i)
	}
	chars := 0
	for _, a := range alone {
		chars += len(a.text)
	}
	require.Greater(t, chars, 100, "the requests generate text")
	for round := range 2 {
		got := concurrently(ctx, c, reqs)
		for i, g := range got {
			require.NoError(t, g.err, "round %d, client %d", round, i)
			assert.Equal(t, alone[i].text, g.text, "round %d, client %d", round, i)
			assert.Equal(t, alone[i].finish, g.finish, "round %d, client %d", round, i)
			assert.Equal(t, alone[i].tokens, g.tokens, "round %d, client %d", round, i)
		}
	}
	s.eng.mu.Lock()
	defer s.eng.mu.Unlock()
	assert.Equal(t, 8, s.eng.peak, "the batch filled up")
}

// percentile returns the p-th percentile (nearest rank) of d.
func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(p/100*float64(len(s))+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}
