//go:build linux

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// onePagePipe returns a pipe of one page (4096 bytes) whose page holds
// 4096-room bytes of zeros: writes of up to room bytes still go through
// (the kernel appends to the page), and then any write blocks.
func onePagePipe(t *testing.T, room int) (r, w *os.File, junk int) {
	t.Helper()
	r, w, err := os.Pipe()
	require.NoError(t, err)
	const fSetPipeSz = 1031 // F_SETPIPE_SZ
	size, _, errno := syscall.Syscall(syscall.SYS_FCNTL, w.Fd(), fSetPipeSz, 4096)
	require.Zero(t, errno, "F_SETPIPE_SZ")
	require.Equal(t, uintptr(4096), size)
	junk = 4096 - room
	n, err := w.Write(make([]byte, junk))
	require.NoError(t, err)
	require.Equal(t, junk, n)
	return r, w, junk
}

// blockedWritingPipe reports whether any thread of process pid sleeps
// in the kernel's pipe_write.
func blockedWritingPipe(pid int) bool {
	tasks, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/wchan")
	for _, f := range tasks {
		if b, err := os.ReadFile(f); err == nil && strings.Contains(string(b), "pipe_write") {
			return true
		}
	}
	return false
}

// `lbrx generate --prompt` writes text while it generates. Its stdout
// is a one-page pipe the test filled but for 8 bytes: a streaming lbrx
// writes the first tokens' text into those 8 bytes and then blocks in
// pipe_write, mid-generation. At that moment the pipe holds a prefix of
// the text and lbrx has not printed its statistics (which follow the
// last token); an lbrx that printed its text only at the end would block
// with nothing in the pipe (its one write does not fit).
func TestGenerateStreamsTextWhileRunning(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("sizes the pipe with F_SETPIPE_SZ and watches the process through /proc (Linux only)")
	}
	dir := textModel(t)
	bin := lbrxBinary(t)
	args := []string{"generate", dir, "--prompt", "Hello", "--max-tokens", "60", "--ignore-eos"}

	// The text the same greedy run gives, for comparison.
	ref, err := exec.Command(bin, append(args, "--json")...).Output()
	require.NoError(t, err)
	var want generateJSON
	require.NoError(t, json.Unmarshal(ref, &want))
	require.Greater(t, len(want.Text), 16)

	const room = 8
	r, w, junk := onePagePipe(t, room)
	defer func() { _ = r.Close() }()
	errPath := filepath.Join(t.TempDir(), "stderr")
	errFile, err := os.Create(errPath)
	require.NoError(t, err)
	defer func() { _ = errFile.Close() }()
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = w, errFile
	require.NoError(t, cmd.Start())
	_ = w.Close()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	deadline := time.Now().Add(2 * time.Minute)
	for !blockedWritingPipe(cmd.Process.Pid) {
		select {
		case err := <-exited:
			t.Fatalf("lbrx exited (%v) without blocking on its full stdout", err)
		default:
		}
		require.True(t, time.Now().Before(deadline), "lbrx never blocked writing stdout")
		time.Sleep(10 * time.Millisecond)
	}
	stderr, err := os.ReadFile(errPath)
	require.NoError(t, err)
	assert.NotContains(t, string(stderr), "prefill:", "statistics printed before the text was read")

	// What the pipe holds now, in one read (one page): the junk, then the
	// text so far. The read frees the page and lbrx goes on.
	buf := make([]byte, 8192)
	n, err := r.Read(buf)
	require.NoError(t, err)
	got := buf[:n]
	require.GreaterOrEqual(t, len(got), junk)
	partial := string(got[junk:])
	assert.NotEmpty(t, partial, "no text in the pipe while lbrx was blocked writing")
	assert.LessOrEqual(t, len(partial), room)
	assert.True(t, strings.HasPrefix(want.Text, partial), "%q is not a prefix of %q", partial, want.Text)

	rest, err := io.ReadAll(r)
	require.NoError(t, err)
	require.NoError(t, <-exited)
	assert.Equal(t, want.Text+"\n", partial+string(rest))
	stderr, err = os.ReadFile(errPath)
	require.NoError(t, err)
	assert.Contains(t, string(stderr), "stop: length")
}

// `lbrx chat` answers each stdin line while stdin stays open, and from
// the second turn on runs only the tokens its cache lacks.
func TestChatReusesTheCacheAcrossTurns(t *testing.T) {
	dir := textModel(t)
	bin := lbrxBinary(t)
	cmd := exec.Command(bin, "chat", dir, "--json", "--max-tokens", "8", "--system", "Be brief.")
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	out := bufio.NewScanner(stdout)
	type reply struct {
		Text      string `json:"text"`
		Stop      string `json:"stop"`
		Prompt    int    `json:"prompt_tokens"`
		Cached    int    `json:"cached_tokens"`
		Prefilled int    `json:"prefilled_tokens"`
		Generated int    `json:"generated_tokens"`
	}
	var replies []reply
	for _, msg := range []string{"Hi", "And then?", "Bye"} {
		b, _ := json.Marshal(msg)
		_, err := stdin.Write(append(b, '\n'))
		require.NoError(t, err)
		// The reply arrives while stdin is still open.
		require.True(t, out.Scan(), "no reply to %q: %s", msg, stderr.String())
		var r reply
		require.NoError(t, json.Unmarshal(out.Bytes(), &r))
		replies = append(replies, r)
	}
	require.NoError(t, stdin.Close())
	require.NoError(t, cmd.Wait(), stderr.String())
	assert.False(t, out.Scan())

	require.Len(t, replies, 3)
	assert.Zero(t, replies[0].Cached)
	assert.Equal(t, replies[0].Prompt, replies[0].Prefilled)
	for i := 1; i < len(replies); i++ {
		prev, r := replies[i-1], replies[i]
		// Everything the model read last turn (prompt and every reply
		// token but the last, which was sampled and never run) is reused.
		assert.Equal(t, prev.Prompt+prev.Generated-1, r.Cached, "turn %d", i+1)
		assert.Equal(t, r.Prompt-r.Cached, r.Prefilled, "turn %d", i+1)
		assert.Less(t, r.Prefilled, r.Prompt/2, "turn %d prefilled most of the conversation", i+1)
	}
	assert.Contains(t, stderr.String(), "[turn 3: ")
}
