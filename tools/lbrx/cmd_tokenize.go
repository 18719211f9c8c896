package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/lbrx/lbrx/text/tokenizer"
)

func init() {
	commands["tokenize"] = &command{
		summary: "tokenize JSON strings read line by line from stdin (tokenizer.json, model dir or GGUF)",
		args:    []string{"PATH"},
		setup:   tokenizeSetup,
	}
	commands["detokenize"] = &command{
		summary: "decode JSON id arrays read line by line from stdin (tokenizer.json, model dir or GGUF)",
		args:    []string{"PATH"},
		setup:   detokenizeSetup,
	}
}

// textStdin is where tokenize and detokenize read their input (a variable
// so that in-process tests can feed it).
var textStdin io.Reader = os.Stdin

// maxTextLine bounds one input line (a whole document as one JSON string).
const maxTextLine = 1 << 28

// eachLine calls f with every non-blank line of r, numbering lines from 1.
func eachLine(r io.Reader, f func(n int, line []byte) error) error {
	br := bufio.NewReaderSize(r, 1<<16)
	for n := 1; ; n++ {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			buf := append([]byte(nil), line...)
			for errors.Is(err, bufio.ErrBufferFull) && len(buf) <= maxTextLine {
				line, err = br.ReadSlice('\n')
				buf = append(buf, line...)
			}
			if len(buf) > maxTextLine {
				return fmt.Errorf("stdin line %d: longer than %d bytes", n, maxTextLine)
			}
			line = buf
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("stdin: %w", err)
		}
		if l := bytes.TrimSpace(line); len(l) > 0 {
			if ferr := f(n, l); ferr != nil {
				return ferr
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
	}
}

func newJSONLines(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // "<|begin_of_text|>" stays readable
	return enc
}

func tokenizeSetup(fs *flag.FlagSet) runFunc {
	special := fs.Bool("special", false, "apply the post-processor (BOS ...) as add_special_tokens=True does")
	split := fs.Bool("split-special", false, "leave the text of special tokens as text (llama.cpp's parse_special=false)")
	return func(pos []string, stdout, _ io.Writer) error {
		return runTokenize(pos[0], *special, *split, stdout)
	}
}

func runTokenize(path string, special, split bool, stdout io.Writer) error {
	tk, err := tokenizer.Load(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(stdout)
	enc := newJSONLines(bw)
	err = eachLine(textStdin, func(n int, line []byte) error {
		var s string
		if err := json.Unmarshal(line, &s); err != nil {
			return fmt.Errorf("stdin line %d: want a JSON string: %w", n, err)
		}
		ids, err := tk.EncodeWith(s, tokenizer.EncodeOptions{AddSpecial: special, SplitSpecial: split})
		if err != nil {
			return fmt.Errorf("stdin line %d: %w", n, err)
		}
		return enc.Encode(struct {
			IDs    []int    `json:"ids"`
			Tokens []string `json:"tokens"`
		}{nonNil(ids), nonNil(tk.Tokens(ids))})
	})
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	return err
}

func detokenizeSetup(fs *flag.FlagSet) runFunc {
	skip := fs.Bool("skip-special", false, "drop special tokens (skip_special_tokens=True)")
	return func(pos []string, stdout, _ io.Writer) error {
		return runDetokenize(pos[0], *skip, stdout)
	}
}

func runDetokenize(path string, skip bool, stdout io.Writer) error {
	tk, err := tokenizer.Load(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(stdout)
	enc := newJSONLines(bw)
	err = eachLine(textStdin, func(n int, line []byte) error {
		var ids []int
		if err := json.Unmarshal(line, &ids); err != nil {
			return fmt.Errorf("stdin line %d: want a JSON array of token ids: %w", n, err)
		}
		s, err := tk.Decode(ids, skip)
		if err != nil {
			return fmt.Errorf("stdin line %d: %w", n, err)
		}
		return enc.Encode(struct {
			Text string `json:"text"`
		}{s})
	})
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	return err
}

// nonNil makes an empty result print as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
