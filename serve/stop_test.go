package serve

import (
	"context"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A stop string ends the text before its first occurrence, with
// finish_reason stop, streamed or not; the stop string itself is never
// sent, even split across tokens.
func TestStopStrings(t *testing.T) {
	_, hs := testServer(t, Config{})
	c := client(hs.URL)
	ctx := context.Background()
	params := openai.CompletionNewParams{
		Model: "tiny-llama", Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String("Once upon")},
		MaxTokens: openai.Int(40), Temperature: openai.Float(0),
	}
	full, err := c.Completions.New(ctx, params)
	require.NoError(t, err)
	text := full.Choices[0].Text
	// The random model writes arbitrary bytes (invalid UTF-8 comes out
	// as U+FFFD); cut at its first two printable ASCII characters past
	// the start: two tokens of the byte-level vocabulary.
	i := 1
	for i+1 < len(text) && (!printable(text[i]) || !printable(text[i+1])) {
		i++
	}
	require.Less(t, i+1, len(text), "the greedy text %q has two printable characters in a row", text)
	stop := text[i : i+2]
	want, _, found := strings.Cut(text, stop)
	require.True(t, found)

	params.Stop = openai.CompletionNewParamsStopUnion{OfStringArray: []string{"\x00never", stop}}
	cut, err := c.Completions.New(ctx, params)
	require.NoError(t, err)
	assert.Equal(t, want, cut.Choices[0].Text)
	assert.Equal(t, "stop", string(cut.Choices[0].FinishReason))
	assert.Less(t, cut.Usage.CompletionTokens, full.Usage.CompletionTokens)

	st := c.Completions.NewStreaming(ctx, params)
	var got strings.Builder
	finish := ""
	for st.Next() {
		ch := st.Current()
		if len(ch.Choices) > 0 {
			got.WriteString(ch.Choices[0].Text)
			if ch.Choices[0].FinishReason != "" {
				finish = string(ch.Choices[0].FinishReason)
			}
		}
	}
	require.NoError(t, st.Err())
	assert.Equal(t, want, got.String())
	assert.Equal(t, "stop", finish)
}

// Sampling is seeded: the same seed gives the same text, temperature 0
// ignores it.
func TestSeededSampling(t *testing.T) {
	_, hs := testServer(t, Config{})
	c := client(hs.URL)
	ctx := context.Background()
	gen := func(temp float64, seed int64) string {
		r, err := c.Completions.New(ctx, openai.CompletionNewParams{
			Model: "tiny-llama", Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String("abc")},
			MaxTokens: openai.Int(24), Temperature: openai.Float(temp), Seed: openai.Int(seed),
		})
		require.NoError(t, err)
		return r.Choices[0].Text
	}
	a := gen(1.5, 7)
	assert.Equal(t, a, gen(1.5, 7))
	differ := false
	for seed := range int64(5) {
		if gen(1.5, 100+seed) != a {
			differ = true
		}
	}
	assert.True(t, differ, "other seeds sample other texts")
	assert.Equal(t, gen(0, 1), gen(0, 2))
}

func printable(b byte) bool { return b >= 0x20 && b < 0x7f }
