package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/lbrx/lbrx/text/chat"
)

func init() {
	commands["chat-template"] = &command{
		summary: "render a chat template: JSON requests on stdin, {\"text\": ...} lines on stdout (tokenizer_config.json[.gz], model dir, .jinja or GGUF)",
		args:    []string{"PATH"},
		setup: func(*flag.FlagSet) runFunc {
			return func(pos []string, stdout, _ io.Writer) error {
				tmpl, err := chat.Load(pos[0])
				if err != nil {
					return err
				}
				return renderRequests(tmpl, textStdin, stdout)
			}
		},
	}
}

// maxRequestLine bounds one stdin line (a conversation with tool schemas).
const maxRequestLine = 64 << 20

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
