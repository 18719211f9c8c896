package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core/testfiles"
)

// Every chat render transformers made for the shared test data comes out
// of the lbrx binary byte for byte: requests on stdin, {"text"} lines on
// stdout.
func TestChatTemplateCommandMatchesTransformers(t *testing.T) {
	bin := lbrxBinary(t)
	type ref struct{ template, renders string }
	var refs []ref
	for _, n := range []string{"llama3_1", "qwen3", "gemma3"} {
		cfg := testfiles.Path(t, "tokenizers", n, "tokenizer_config.json")
		if _, err := os.Stat(cfg); err != nil {
			cfg += ".gz"
		}
		refs = append(refs, ref{cfg, testfiles.Path(t, "chat", n+".jsonl")})
	}
	dirs, err := filepath.Glob(filepath.Join(testfiles.Path(t, "chat", "templates"), "*"))
	require.NoError(t, err)
	require.Len(t, dirs, 6)
	for _, d := range dirs {
		refs = append(refs, ref{d, filepath.Join(d, "renders.jsonl")})
	}
	total := 0
	for _, r := range refs {
		b, err := os.ReadFile(r.renders)
		require.NoError(t, err)
		var want []string
		var stdin bytes.Buffer
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(nil, 1<<24)
		for sc.Scan() {
			var line map[string]json.RawMessage
			require.NoError(t, json.Unmarshal(sc.Bytes(), &line))
			var text string
			require.NoError(t, json.Unmarshal(line["text"], &text))
			want = append(want, text)
			delete(line, "text")
			req, err := json.Marshal(line)
			require.NoError(t, err)
			stdin.Write(append(req, '\n'))
		}
		cmd := exec.Command(bin, "chat-template", r.template)
		cmd.Stdin = &stdin
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		require.NoError(t, err, "%s: %s", r.template, stderr.String())
		lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
		require.Len(t, lines, len(want), r.template)
		for i, l := range lines {
			var got struct {
				Text *string `json:"text"`
			}
			require.NoError(t, json.Unmarshal([]byte(l), &got))
			require.NotNil(t, got.Text)
			require.Equal(t, want[i], *got.Text, "%s line %d", r.renders, i+1)
			total++
		}
	}
	assert.Equal(t, 46, total)
}

func TestChatTemplateCommandErrors(t *testing.T) {
	bin := lbrxBinary(t)
	gemma2 := testfiles.Path(t, "chat", "templates", "google-gemma-2-2b-it")
	for _, c := range []struct {
		args       []string
		stdin      string
		code       int
		stdout     string
		stderrPart string
	}{
		{args: []string{"chat-template"}, code: 2, stderrPart: "need PATH, got 0 arguments"},
		{args: []string{"chat-template", "/nonexistent/x.json"}, code: 1, stderrPart: "/nonexistent/x.json"},
		// The first line renders and is written before the second fails.
		{args: []string{"chat-template", gemma2}, stdin: `{"messages": [{"role": "user", "content": "Hi"}]}` + "\n" + `{"messages": [{"role": "system", "content": "x"}]}` + "\n",
			code: 1, stdout: `{"text":"<|begin_of_text|><start_of_turn>user\nHi<end_of_turn>\n"}` + "\n", stderrPart: "stdin line 2: chat template: System role not supported"},
		{args: []string{"chat-template", gemma2}, stdin: "not json\n", code: 1, stderrPart: "stdin line 1: chat request"},
	} {
		cmd := exec.Command(bin, c.args...)
		cmd.Stdin = strings.NewReader(c.stdin)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else {
			require.NoError(t, err)
		}
		assert.Equal(t, c.code, code, "%v: %s", c.args, stderr.String())
		assert.Equal(t, c.stdout, stdout.String(), "%v", c.args)
		assert.Contains(t, stderr.String(), c.stderrPart, "%v", c.args)
	}
}
