package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/lbrx/lbrx/text/chat"
)

func init() {
	commands["chat-template"] = &command{
		summary: "render a chat template: JSON requests on stdin, {\"text\": ...} lines on stdout",
		args:    []string{"PATH"},
		setup: func(*flag.FlagSet) runFunc {
			return func(pos []string, stdout, _ io.Writer) error { return runChatTemplate(pos[0], stdout) }
		},
	}
}

const chatTemplateUsage = "usage: lbrx chat-template PATH < requests.jsonl (PATH: tokenizer_config.json[.gz], a model directory, a .jinja or a .gguf; each stdin line {\"messages\": [...], \"add_generation_prompt\": bool, ...})"

// maxRequestLine bounds one stdin line (a conversation with tool schemas).
const maxRequestLine = 64 << 20

func runChatTemplate(path string, stdout io.Writer) error {
	if path == "" {
		return usagef("need exactly one PATH (%s)", chatTemplateUsage)
	}
	tmpl, err := chat.Load(path)
	if err != nil {
		return err
	}
	return renderRequests(tmpl, os.Stdin, stdout)
}

// renderRequests renders each JSON line of r and writes {"text": ...}
// lines to w as it goes, so a script can drive it a line at a time.
func renderRequests(tmpl *chat.Template, r io.Reader, w io.Writer) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, maxRequestLine)
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for line := 1; sc.Scan(); line++ {
		text, err := tmpl.RenderJSON(sc.Bytes())
		if err != nil {
			return fmt.Errorf("stdin line %d: %w", line, err)
		}
		if err := enc.Encode(map[string]string{"text": text}); err != nil {
			return err
		}
		if err := bw.Flush(); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("stdin: %w", err)
	}
	return nil
}
