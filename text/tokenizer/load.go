package tokenizer

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

// Load reads a tokenizer from path: a tokenizer.json file (with the
// tokenizer_config.json beside it, if any), a model directory holding one,
// or a .gguf file (its tokenizer.ggml.* vocabulary). Files ending in .gz are
// decompressed.
func Load(path string) (*Tokenizer, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		for _, name := range []string{"tokenizer.json", "tokenizer.json.gz"} {
			p := filepath.Join(path, name)
			if _, err := os.Stat(p); err == nil {
				return loadJSON(p)
			}
		}
		return nil, fmt.Errorf("tokenizer: %s holds no tokenizer.json", path)
	}
	if strings.HasSuffix(strings.ToLower(path), ".gguf") {
		f, err := gguf.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return FromGGUF(f)
	}
	return loadJSON(path)
}

func loadJSON(path string) (*Tokenizer, error) {
	data, err := readMaybeGzip(path)
	if err != nil {
		return nil, err
	}
	t, err := parseHF(path, data)
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(path)
	configured := false
	for _, name := range []string{"tokenizer_config.json", "tokenizer_config.json.gz"} {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err != nil {
			continue
		}
		cfg, err := readMaybeGzip(p)
		if err != nil {
			return nil, err
		}
		if err := t.applyConfig(p, cfg); err != nil {
			return nil, err
		}
		configured = true
		break
	}
	if !configured {
		t.defaultConfig()
	}
	if err := t.applyGenerationConfig(filepath.Join(dir, "generation_config.json")); err != nil {
		return nil, err
	}
	return t, nil
}

// applyGenerationConfig adds the end tokens generation_config.json lists
// (Llama 3.1 ends turns with <|eot_id|> but also stops at <|eom_id|> and
// <|end_of_text|>).
func (t *Tokenizer) applyGenerationConfig(path string) error {
	data, err := os.ReadFile(path) //nolint:gosec // the model's own configuration
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var g struct {
		EOS json.RawMessage `json:"eos_token_id"`
	}
	if err := json.Unmarshal(data, &g); err != nil {
		return fmt.Errorf("generation config %s: %w", path, err)
	}
	if isNull(g.EOS) {
		return nil
	}
	var ids []int
	var one int
	if err := json.Unmarshal(g.EOS, &one); err == nil {
		ids = []int{one}
	} else if err := json.Unmarshal(g.EOS, &ids); err != nil {
		return fmt.Errorf("generation config %s: eos_token_id: neither an id nor a list of ids", path)
	}
	for _, id := range ids {
		if id < 0 || id >= len(t.idToTok) {
			return fmt.Errorf("generation config %s: eos_token_id %d is not a token id", path, id)
		}
		if !containsInt(t.eos, id) {
			t.eos = append(t.eos, id)
		}
	}
	return nil
}

// maxUnzipped bounds what a .gz file may expand to (the largest real
// tokenizer.json files are tens of megabytes).
const maxUnzipped = 1 << 30

func readMaybeGzip(path string) ([]byte, error) {
	data, err := os.ReadFile(path) //nolint:gosec // reading the caller's tokenizer file is the point
	if err != nil || !strings.HasSuffix(path, ".gz") {
		return data, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("tokenizer %s: %w", path, err)
	}
	out, err := io.ReadAll(io.LimitReader(zr, maxUnzipped+1))
	if err != nil {
		return nil, fmt.Errorf("tokenizer %s: %w", path, err)
	}
	if len(out) > maxUnzipped {
		return nil, fmt.Errorf("tokenizer %s: unpacks to more than %d bytes", path, maxUnzipped)
	}
	return out, nil
}

// hfConfig is the part of tokenizer_config.json lbrx reads.
type hfConfig struct {
	ChatTemplate json.RawMessage `json:"chat_template"`
	BOSToken     json.RawMessage `json:"bos_token"`
	EOSToken     json.RawMessage `json:"eos_token"`
	AddBOSToken  *bool           `json:"add_bos_token"`
	AddEOSToken  *bool           `json:"add_eos_token"`
}

// tokenString reads a token given as a string, {"content": ...} or null.
func tokenString(raw json.RawMessage) (string, error) {
	if isNull(raw) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var o struct {
		Content string `json:"content"`
	}
	if err := json.Unmarshal(raw, &o); err != nil {
		return "", errors.New("neither a string nor {\"content\": ...}")
	}
	return o.Content, nil
}

func (t *Tokenizer) applyConfig(path string, data []byte) error {
	var c hfConfig
	if err := json.Unmarshal(data, &c); err != nil {
		return fmt.Errorf("tokenizer config %s: %w", path, err)
	}
	var err error
	if t.cfg.BOSToken, err = tokenString(c.BOSToken); err != nil {
		return fmt.Errorf("tokenizer config %s: bos_token: %w", path, err)
	}
	if t.cfg.EOSToken, err = tokenString(c.EOSToken); err != nil {
		return fmt.Errorf("tokenizer config %s: eos_token: %w", path, err)
	}
	if !isNull(c.ChatTemplate) {
		var s string
		if err := json.Unmarshal(c.ChatTemplate, &s); err == nil {
			t.cfg.ChatTemplate = s
		} else {
			var named []struct {
				Name     string `json:"name"`
				Template string `json:"template"`
			}
			if err := json.Unmarshal(c.ChatTemplate, &named); err != nil {
				return fmt.Errorf("tokenizer config %s: chat_template: neither a string nor a list of {name, template}", path)
			}
			t.cfg.ChatTemplates = map[string]string{}
			for _, n := range named {
				t.cfg.ChatTemplates[n.Name] = n.Template
			}
			t.cfg.ChatTemplate = t.cfg.ChatTemplates["default"]
		}
	}
	if id, ok := t.tokToID[t.cfg.BOSToken]; ok && t.cfg.BOSToken != "" {
		t.bos = id
	}
	if id, ok := t.tokToID[t.cfg.EOSToken]; ok && t.cfg.EOSToken != "" {
		t.eos = []int{id}
	}
	t.defaultConfig()
	if c.AddBOSToken != nil {
		t.cfg.AddBOS = *c.AddBOSToken
	}
	if c.AddEOSToken != nil {
		t.cfg.AddEOS = *c.AddEOSToken
	}
	return nil
}

// defaultConfig derives AddBOS/AddEOS from what the post-processor adds.
func (t *Tokenizer) defaultConfig() {
	probe := []int{-2}
	if t.post != nil {
		probe = t.post.process(probe)
	}
	for i, id := range probe {
		if id == -2 {
			t.cfg.AddBOS = i > 0 && (t.bos < 0 || probe[0] == t.bos)
			t.cfg.AddEOS = i < len(probe)-1
			if t.bos < 0 && i > 0 {
				t.bos = probe[0]
				t.cfg.BOSToken = t.idToTok[t.bos]
			}
		}
	}
}
