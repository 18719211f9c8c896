package main

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core/testfiles"
	"github.com/lbrx/lbrx/serve/servetest"
)

// lbrx serve listens on 127.0.0.1, answers a completion, and on SIGTERM
// shuts down within the grace period with exit status 0.
func TestServeAnswersAndStopsOnSIGTERM(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, servetest.ModelDir(testfiles.Path(t, "safetensors", "tiny-llama"), dir))
	cmd := exec.Command(lbrxBinary(t), "serve", dir, "--port", "0", "--device", "cpu", "--api-key", "k")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	r := bufio.NewReader(stdout)
	line, err := r.ReadString('\n')
	require.NoError(t, err)
	addr := regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`).FindStringSubmatch(line)
	require.NotNil(t, addr, line)

	req, err := http.NewRequest(http.MethodPost, addr[1]+"/v1/completions", strings.NewReader(`{"prompt":"hi","max_tokens":4,"temperature":0}`))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer k")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	var body struct {
		Choices []struct {
			FinishReason string `json:"finish_reason"`
		} `json:"choices"`
		Usage struct {
			PromptTokens int `json:"prompt_tokens"`
		} `json:"usage"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, 2, body.Usage.PromptTokens)
	require.Len(t, body.Choices, 1)

	start := time.Now()
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	rest, _ := r.ReadString(0)
	require.NoError(t, cmd.Wait(), "exit status after SIGTERM")
	assert.Less(t, time.Since(start), serveGrace+2*time.Second)
	assert.Contains(t, rest, "shutting down")
}

func TestServeRejectsBadFlags(t *testing.T) {
	for args, want := range map[string]string{
		"--port -1":      "--port -1 is not in [0, 65535]",
		"--max-batch 0":  "--max-batch 0 is not in [1, 1024]",
		"--ctx 1":        "--ctx 1 must be at least 2",
		"--kv-budget -5": "--kv-budget -5 is negative",
	} {
		code, _, stderr := runBinary(t, append([]string{"serve", "model"}, strings.Fields(args)...)...)
		assert.Equal(t, 2, code, args)
		assert.Contains(t, stderr, want)
	}
}
