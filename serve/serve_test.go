package serve

import (
	"context"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/models/llama"
)

func client(url string, opts ...option.RequestOption) openai.Client {
	return openai.NewClient(append([]option.RequestOption{option.WithBaseURL(url + "/v1/"), option.WithAPIKey("unused"), option.WithMaxRetries(0)}, opts...)...)
}

// The chat endpoint answers the official client with the model's greedy
// continuation of the rendered conversation: the same tokens
// llama.Generate picks for the same prompt ids.
func TestChatCompletionMatchesGenerate(t *testing.T) {
	s, hs := testServer(t, Config{})
	c := client(hs.URL)
	resp, err := c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model:       "tiny-llama",
		Messages:    []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("Be brief."), openai.UserMessage("Hello there")},
		MaxTokens:   openai.Int(12),
		Temperature: openai.Float(0),
	})
	require.NoError(t, err)
	require.Len(t, resp.Choices, 1)
	assert.Equal(t, "chat.completion", string(resp.Object))
	assert.Equal(t, "tiny-llama", resp.Model)
	assert.Equal(t, "assistant", string(resp.Choices[0].Message.Role))

	text := "<system>Be brief.\n<user>Hello there\n<assistant>"
	ids, err := s.cfg.Tokenizer.Encode(text, false)
	require.NoError(t, err)
	var want []int
	_, err = s.cfg.Model.Generate(ids, llama.GenerateOptions{MaxTokens: 12}, func(id int) bool { want = append(want, id); return true })
	require.NoError(t, err)
	wantText, err := s.cfg.Tokenizer.Decode(trimEOS(want, s.cfg.Model.Config.EOS), true)
	require.NoError(t, err)
	require.NotEmpty(t, want)
	assert.Equal(t, wantText, resp.Choices[0].Message.Content)
	assert.Equal(t, int64(len(ids)), resp.Usage.PromptTokens)
	assert.Equal(t, int64(len(want)), resp.Usage.CompletionTokens)
	assert.Equal(t, int64(len(ids)+len(want)), resp.Usage.TotalTokens)
	if len(want) == 12 && !isEOS(want[11], s.cfg.Model.Config.EOS) {
		assert.Equal(t, "length", resp.Choices[0].FinishReason)
	} else {
		assert.Equal(t, "stop", resp.Choices[0].FinishReason)
	}
}

func trimEOS(ids, eos []int) []int {
	if n := len(ids); n > 0 && isEOS(ids[n-1], eos) {
		return ids[:n-1]
	}
	return ids
}

func isEOS(id int, eos []int) bool {
	for _, e := range eos {
		if e == id {
			return true
		}
	}
	return false
}

// Completions take text or token ids; the same prompt either way gives
// the same text, and max_tokens bounds it with finish_reason length.
func TestCompletionTextAndTokenIDs(t *testing.T) {
	s, hs := testServer(t, Config{})
	c := client(hs.URL)
	ctx := context.Background()
	byText, err := c.Completions.New(ctx, openai.CompletionNewParams{
		Model: "tiny-llama", Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String("The cat")},
		MaxTokens: openai.Int(6), Temperature: openai.Float(0),
	})
	require.NoError(t, err)
	ids, err := s.cfg.Tokenizer.Encode("The cat", true)
	require.NoError(t, err)
	ids64 := make([]int64, len(ids))
	for i, id := range ids {
		ids64[i] = int64(id)
	}
	byIDs, err := c.Completions.New(ctx, openai.CompletionNewParams{
		Model: "tiny-llama", Prompt: openai.CompletionNewParamsPromptUnion{OfArrayOfTokens: ids64},
		MaxTokens: openai.Int(6), Temperature: openai.Float(0),
	})
	require.NoError(t, err)
	assert.Equal(t, "text_completion", string(byText.Object))
	assert.Equal(t, byText.Choices[0].Text, byIDs.Choices[0].Text)
	assert.Equal(t, int64(len(ids)), byIDs.Usage.PromptTokens)
	assert.LessOrEqual(t, byText.Usage.CompletionTokens, int64(6))
	if byText.Usage.CompletionTokens == 6 {
		assert.Equal(t, "length", string(byText.Choices[0].FinishReason))
	}
}

// Streaming gives the same text as the plain response, chunk by chunk,
// with a finish reason on the last choice chunk and the usage chunk the
// client asked for.
func TestStreamingMatchesNonStreaming(t *testing.T) {
	_, hs := testServer(t, Config{})
	c := client(hs.URL)
	ctx := context.Background()
	params := openai.ChatCompletionNewParams{
		Model:       "tiny-llama",
		Messages:    []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Tell me a story")},
		MaxTokens:   openai.Int(20),
		Temperature: openai.Float(0),
	}
	plain, err := c.Chat.Completions.New(ctx, params)
	require.NoError(t, err)
	params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	st := c.Chat.Completions.NewStreaming(ctx, params)
	var acc openai.ChatCompletionAccumulator
	chunks := 0
	for st.Next() {
		ch := st.Current()
		acc.AddChunk(ch)
		chunks++
	}
	require.NoError(t, st.Err())
	require.Greater(t, chunks, 2)
	require.Len(t, acc.Choices, 1)
	assert.Equal(t, plain.Choices[0].Message.Content, acc.Choices[0].Message.Content)
	assert.Equal(t, plain.Choices[0].FinishReason, acc.Choices[0].FinishReason)
	assert.Equal(t, plain.Usage.CompletionTokens, acc.Usage.CompletionTokens)
	assert.Equal(t, plain.Usage.PromptTokens, acc.Usage.PromptTokens)

	// Completions stream too.
	cs := c.Completions.NewStreaming(ctx, openai.CompletionNewParams{
		Model: "tiny-llama", Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String("abc")},
		MaxTokens: openai.Int(5), Temperature: openai.Float(0),
	})
	var text string
	var finish string
	for cs.Next() {
		ch := cs.Current()
		if len(ch.Choices) > 0 {
			text += ch.Choices[0].Text
			if ch.Choices[0].FinishReason != "" {
				finish = string(ch.Choices[0].FinishReason)
			}
		}
	}
	require.NoError(t, cs.Err())
	plainC, err := c.Completions.New(ctx, openai.CompletionNewParams{
		Model: "tiny-llama", Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String("abc")},
		MaxTokens: openai.Int(5), Temperature: openai.Float(0),
	})
	require.NoError(t, err)
	assert.Equal(t, plainC.Choices[0].Text, text)
	assert.Equal(t, string(plainC.Choices[0].FinishReason), finish)
}

func TestModelsAndHealth(t *testing.T) {
	_, hs := testServer(t, Config{Name: "my-model"})
	c := client(hs.URL)
	page, err := c.Models.List(context.Background())
	require.NoError(t, err)
	require.Len(t, page.Data, 1)
	assert.Equal(t, "my-model", page.Data[0].ID)
}

// apiStatus returns the HTTP status of an error the client returned.
func apiStatus(t *testing.T, err error) int {
	t.Helper()
	var e *openai.Error
	require.ErrorAs(t, err, &e)
	return e.StatusCode
}
