package serve

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// slowSteps makes every decode pass take d, so that a generation lasts
// long enough to interrupt.
func slowSteps(s *Server, d time.Duration) { s.eng.beforeStep = func() { time.Sleep(d) } }

// startStream sends a streaming completion and returns the response once
// its first event arrived.
func startStream(t *testing.T, ctx context.Context, url string, maxTokens int) (*http.Response, *bufio.Reader) {
	t.Helper()
	body := `{"prompt":"a","stream":true,"temperature":0,"max_tokens":` + itoa(maxTokens) + `}`
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/v1/completions", strings.NewReader(body))
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.Equal(t, 200, resp.StatusCode)
	r := bufio.NewReader(resp.Body)
	line, err := r.ReadString('\n')
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(line, "data: {"), line)
	return resp, r
}

func itoa(n int) string {
	b := []byte{}
	for {
		b = append([]byte{byte('0' + n%10)}, b...)
		if n /= 10; n == 0 {
			return string(b)
		}
	}
}

// A client that goes away frees its slot at the next token boundary, not
// after its max_tokens.
func TestDisconnectFreesTheSlot(t *testing.T) {
	s, hs := testServer(t, Config{MaxBatch: 1})
	slowSteps(s, 20*time.Millisecond) // 100 tokens would take 2 s
	ctx, cancel := context.WithCancel(context.Background())
	resp, _ := startStream(t, ctx, hs.URL, 100)
	require.Equal(t, 1, s.eng.running())
	start := time.Now()
	cancel()
	resp.Body.Close()
	require.Eventually(t, func() bool { return s.eng.running() == 0 }, time.Second, time.Millisecond)
	assert.Less(t, time.Since(start), 500*time.Millisecond)
	assert.Equal(t, 1.0, testutil.ToFloat64(s.metrics.cancelled))
	assert.Less(t, testutil.ToFloat64(s.metrics.generated), 50.0)
	// The slot serves the next request.
	status, _ := post(t, hs.URL, "/v1/completions", `{"prompt":"b","max_tokens":2}`)
	assert.Equal(t, 200, status)
}

// Shutdown refuses new requests with 503 and lets running ones finish.
func TestShutdownFinishesInFlight(t *testing.T) {
	s, hs := testServer(t, Config{MaxBatch: 2})
	slowSteps(s, 5*time.Millisecond)
	resp, r := startStream(t, context.Background(), hs.URL, 20)
	defer resp.Body.Close()
	done := make(chan error, 1)
	go func() { done <- s.Shutdown(t.Context()) }()
	require.Eventually(t, s.closing.Load, time.Second, time.Millisecond)
	status, e := post(t, hs.URL, "/v1/completions", `{"prompt":"b","max_tokens":2}`)
	assert.Equal(t, http.StatusServiceUnavailable, status)
	assert.Equal(t, "shutting_down", e["code"])
	rest := readAll(t, r)
	assert.Contains(t, rest, `"finish_reason":"length"`)
	assert.True(t, strings.HasSuffix(rest, "data: [DONE]\n\n"), rest)
	require.NoError(t, <-done)
	hr, err := http.Get(hs.URL + "/health")
	require.NoError(t, err)
	hr.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, hr.StatusCode)
}

// Shutdown with a deadline cancels what has not finished by then: the
// stream ends with an error event.
func TestShutdownDeadlineCancels(t *testing.T) {
	s, hs := testServer(t, Config{MaxBatch: 1})
	slowSteps(s, 20*time.Millisecond)
	resp, r := startStream(t, context.Background(), hs.URL, 100)
	defer resp.Body.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	require.ErrorIs(t, s.Shutdown(ctx), context.DeadlineExceeded)
	assert.Less(t, time.Since(start), time.Second)
	rest := readAll(t, r)
	assert.Contains(t, rest, `"error"`)
	assert.Contains(t, rest, "shutting down")
}

func readAll(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	var b strings.Builder
	for {
		line, err := r.ReadString('\n')
		b.WriteString(line)
		if err != nil {
			return b.String()
		}
	}
}

// /metrics serves the server's series in Prometheus' text format.
func TestMetrics(t *testing.T) {
	_, hs := testServer(t, Config{})
	status, _ := post(t, hs.URL, "/v1/completions", `{"prompt":"abc","max_tokens":3,"temperature":0}`)
	require.Equal(t, 200, status)
	resp, err := http.Get(hs.URL + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	b := readAll(t, bufio.NewReader(resp.Body))
	for _, want := range []string{
		`lbrx_requests_total{code="200",endpoint="completions"} 1`,
		"lbrx_prompt_tokens_total 3",
		"lbrx_time_to_first_token_seconds_count 1",
		"lbrx_decode_step_seconds_count",
		"lbrx_batch_sequences 0",
	} {
		assert.Contains(t, b, want)
	}
}
