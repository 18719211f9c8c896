package chat

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/lbrx/lbrx/core/gguf"
)

// maxConfigBytes bounds what Load reads from one file: Gemma 3's
// tokenizer_config.json, the largest known, is 1.2 MB.
const maxConfigBytes = 64 << 20

// specialTokenKeys are the special tokens transformers hands every
// template (its special_tokens_map).
var specialTokenKeys = []string{"bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"}

// Load reads a chat template and its special tokens from path: a
// tokenizer_config.json (optionally gzipped, name ending .gz), a model
// directory (chat_template.jinja, chat_template.json or
// tokenizer_config.json, in transformers' order of preference, the
// special tokens from tokenizer_config.json), a .jinja file (no special
// tokens) or a GGUF file (tokenizer.chat_template and
// tokenizer.chat_template.NAME, bos and eos from the vocabulary).
func Load(path string) (*Template, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return loadDir(path)
	}
	switch {
	case strings.HasSuffix(path, ".gguf"):
		return loadGGUF(path)
	case strings.HasSuffix(path, ".jinja"):
		b, err := readFile(path)
		if err != nil {
			return nil, err
		}
		return compileAt(path, map[string]string{DefaultName: string(b)}, nil)
	}
	b, err := readFile(path)
	if err != nil {
		return nil, err
	}
	srcs, err := configTemplates(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	toks, err := configTokens(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return compileAt(path, srcs, toks)
}

// compileAt compiles templates read from path, naming path in errors.
func compileAt(path string, srcs, toks map[string]string) (*Template, error) {
	t, err := NewNamed(srcs, toks)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

func loadDir(dir string) (*Template, error) {
	var toks map[string]string
	cfgPath := filepath.Join(dir, "tokenizer_config.json")
	cfg, cfgErr := readFile(cfgPath)
	if cfgErr == nil {
		var err error
		if toks, err = configTokens(cfg); err != nil {
			return nil, fmt.Errorf("%s: %w", cfgPath, err)
		}
	} else if !errors.Is(cfgErr, os.ErrNotExist) {
		return nil, cfgErr
	}
	p := filepath.Join(dir, "chat_template.jinja")
	if b, err := readFile(p); err == nil {
		return compileAt(p, map[string]string{DefaultName: string(b)}, toks)
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	p = filepath.Join(dir, "chat_template.json")
	if b, err := readFile(p); err == nil {
		srcs, err := configTemplates(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		return compileAt(p, srcs, toks)
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if cfgErr != nil {
		return nil, fmt.Errorf("%s: no chat_template.jinja, chat_template.json or tokenizer_config.json", dir)
	}
	srcs, err := configTemplates(cfg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cfgPath, err)
	}
	return compileAt(cfgPath, srcs, toks)
}

// readFile reads at most maxConfigBytes, unpacking a name ending .gz.
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path) //nolint:gosec // the caller names the file to read
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		r = zr
	}
	b, err := io.ReadAll(io.LimitReader(r, maxConfigBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(b) > maxConfigBytes {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, maxConfigBytes)
	}
	return b, nil
}

// configTemplates reads "chat_template" from a tokenizer_config.json or
// chat_template.json: a string, or a list of {"name", "template"}.
func configTemplates(b []byte) (map[string]string, error) {
	var c struct {
		ChatTemplate json.RawMessage `json:"chat_template"`
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	raw := bytes.TrimSpace(c.ChatTemplate)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, errors.New("no chat_template")
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return map[string]string{DefaultName: s}, nil
	}
	var list []struct {
		Name     *string `json:"name"`
		Template *string `json:"template"`
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, errors.New("chat_template is neither a string nor a list of {name, template}")
	}
	out := map[string]string{}
	for i, e := range list {
		if e.Name == nil || e.Template == nil {
			return nil, fmt.Errorf("chat_template[%d] lacks a name or a template", i)
		}
		if _, dup := out[*e.Name]; dup {
			return nil, fmt.Errorf("chat_template[%d]: name %q repeated", i, *e.Name)
		}
		out[*e.Name] = *e.Template
	}
	return out, nil
}

// configTokens reads the special tokens of a tokenizer_config.json: each
// a string, an added-token object {"content": ...}, or null.
func configTokens(b []byte) (map[string]string, error) {
	var c map[string]json.RawMessage
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	out := map[string]string{}
	for _, k := range specialTokenKeys {
		raw, ok := c[k]
		if !ok || string(bytes.TrimSpace(raw)) == "null" {
			continue
		}
		var s string
		if err := json.Unmarshal(raw, &s); err == nil {
			out[k] = s
			continue
		}
		var tok struct {
			Content *string `json:"content"`
		}
		if err := json.Unmarshal(raw, &tok); err != nil || tok.Content == nil {
			return nil, fmt.Errorf("%s is neither a string nor an object with a string content", k)
		}
		out[k] = *tok.Content
	}
	return out, nil
}

// loadGGUF reads tokenizer.chat_template (and tokenizer.chat_template.NAME)
// and the bos/eos token texts from a GGUF file's metadata.
func loadGGUF(path string) (*Template, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	srcs := map[string]string{}
	const key = "tokenizer.chat_template"
	for _, kv := range f.KVs() {
		name, ok := strings.CutPrefix(kv.Key, key)
		if !ok || (name != "" && name[0] != '.') {
			continue
		}
		s, ok := kv.Value.(string)
		if !ok {
			return nil, fmt.Errorf("%s: %s is a %v, not a string", path, kv.Key, kv.Type)
		}
		if name == "" {
			name = DefaultName
		} else {
			name = name[1:]
		}
		srcs[name] = s
	}
	if len(srcs) == 0 {
		return nil, fmt.Errorf("%s: no %s", path, key)
	}
	toks := map[string]string{}
	if kv, ok := f.Get("tokenizer.ggml.tokens"); ok {
		vocab, ok := kv.Value.([]string)
		if !ok {
			return nil, fmt.Errorf("%s: tokenizer.ggml.tokens is not a string array", path)
		}
		for _, t := range []struct{ key, name string }{
			{"tokenizer.ggml.bos_token_id", "bos_token"},
			{"tokenizer.ggml.eos_token_id", "eos_token"},
			{"tokenizer.ggml.unknown_token_id", "unk_token"},
			{"tokenizer.ggml.padding_token_id", "pad_token"},
		} {
			kv, ok := f.Get(t.key)
			if !ok {
				continue
			}
			id, ok := kv.Value.(uint32)
			if !ok || int64(id) >= int64(len(vocab)) {
				return nil, fmt.Errorf("%s: %s = %v is not a token id below the vocabulary size %d", path, t.key, kv.Value, len(vocab))
			}
			toks[t.name] = vocab[id]
		}
	}
	return compileAt(path, srcs, toks)
}
