package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/lbrx/lbrx/core/gguf"
	"github.com/lbrx/lbrx/models/llama"
	"github.com/lbrx/lbrx/quant"
)

const quantizeGGUFUsage = "usage: lbrx quantize SRC DST.gguf --type q4_0|q4_1|q5_0|q5_1|q8_0|q4_k|q5_k|q6_k|q3_k_m|q4_k_m|q5_k_m [--vocab VOCAB.gguf] [--name NAME]"

// ggufTypes are the --type values: llama-quantize's names, each applied
// to every 2-D weight as `llama-quantize --pure` does.
var ggufTypes = map[string]gguf.Type{
	"q4_0": gguf.Q4_0, "q4_1": gguf.Q4_1, "q5_0": gguf.Q5_0, "q5_1": gguf.Q5_1, "q8_0": gguf.Q8_0,
	"q4_k": gguf.Q4K, "q5_k": gguf.Q5K, "q6_k": gguf.Q6K,
}

// ggufMixes are the --type values that pick each tensor's type as
// llama-quantize's mix of that name does (llama.GGUFWriteOptions.Mix).
var ggufMixes = map[string]bool{"q3_k_m": true, "q4_k_m": true, "q5_k_m": true}

// ggufQuantizeArgs are quantize's flags for a GGUF destination.
type ggufQuantizeArgs struct {
	src, dst, typ, vocab, name string
	force                      bool
}

func runQuantizeGGUF(a ggufQuantizeArgs, stderr io.Writer) error {
	src, dst := a.src, a.dst
	typ := strings.ToLower(a.typ)
	t, ok := ggufTypes[typ]
	mix := ""
	if !ok && ggufMixes[typ] {
		ok, mix = true, typ
	}
	if !ok {
		return usagef("--type %q is not one of q4_0, q4_1, q5_0, q5_1, q8_0, q4_k, q5_k, q6_k, q3_k_m, q4_k_m, q5_k_m (%s)", a.typ, quantizeGGUFUsage)
	}
	if !strings.HasSuffix(strings.ToLower(dst), ".gguf") {
		return usagef("DST %s must end in .gguf (%s)", dst, quantizeGGUFUsage)
	}
	if err := checkInput(src, inputModel); err != nil {
		return err
	}
	if err := checkOutput("DST", dst, a.force, src); err != nil {
		return err
	}
	cfg, err := llama.ReadConfig(filepath.Join(srcDir(src), "config.json"))
	if err != nil {
		return err
	}
	opts := llama.GGUFWriteOptions{Type: t, Mix: mix, Name: a.name}
	if opts.Name == "" {
		opts.Name = filepath.Base(filepath.Clean(srcDir(src)))
	}
	if a.vocab != "" {
		if opts.Vocabulary, err = ggufVocabulary(a.vocab); err != nil {
			return err
		}
	}
	m, err := quant.LoadModel(src)
	if err != nil {
		return err
	}
	defer func() { _ = m.Close() }()
	if err := llama.WriteGGUF(dst, cfg, m.Tensors, opts); err != nil {
		return err
	}
	st, err := os.Stat(dst)
	if err != nil {
		return err
	}
	what := t.String() + " weights"
	if mix != "" {
		what = "llama-quantize's " + strings.ToUpper(mix) + " mix"
	}
	fmt.Fprintf(stderr, "wrote %s: %s, %d bytes", dst, what, st.Size())
	if len(opts.Vocabulary) == 0 {
		fmt.Fprint(stderr, " (no vocabulary: llama.cpp needs one, pass --vocab)")
	}
	fmt.Fprintln(stderr)
	return nil
}

// ggufVocabulary reads the tokenizer.* pairs of a GGUF file.
func ggufVocabulary(path string) ([]gguf.KV, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	var out []gguf.KV
	for _, kv := range f.KVs() {
		if strings.HasPrefix(kv.Key, "tokenizer.") {
			out = append(out, kv)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--vocab %s: no tokenizer.* metadata", path)
	}
	return out, nil
}
