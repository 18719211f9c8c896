package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/lbrx/lbrx/core/testfiles"
)

// runCLI runs lbrx with the given stdin lines and returns its stdout lines.
func runCLI(t *testing.T, stdin []string, args ...string) []string {
	t.Helper()
	cmd := exec.Command(lbrxBinary(t), args...)
	cmd.Stdin = strings.NewReader(strings.Join(stdin, "\n") + "\n")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("lbrx %v: %v\n%s", args, err, stderr.String())
	}
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) != len(stdin) {
		t.Fatalf("lbrx %v: %d lines out for %d in", args, len(lines), len(stdin))
	}
	return lines
}

type tokenizeLine struct {
	IDs    []int    `json:"ids"`
	Tokens []string `json:"tokens"`
}

func jsonLines[T any](t *testing.T, lines []string) []T {
	t.Helper()
	out := make([]T, len(lines))
	for i, l := range lines {
		if err := json.Unmarshal([]byte(l), &out[i]); err != nil {
			t.Fatalf("line %d %q: %v", i+1, l, err)
		}
	}
	return out
}

func quoteAll[T any](t *testing.T, vs []T) []string {
	t.Helper()
	out := make([]string, len(vs))
	for i, v := range vs {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = string(b)
	}
	return out
}

// Every field of every line of tokenizers/<name>/expected.jsonl comes out
// of `lbrx tokenize` and `lbrx detokenize` exactly.
func TestTokenizeCLISharedTokenizers(t *testing.T) {
	for _, name := range []string{"llama3_1", "mistral", "qwen3", "gemma3"} {
		t.Run(name, func(t *testing.T) {
			dir := testfiles.Path(t, "tokenizers", name)
			f, err := os.ReadFile(filepath.Join(dir, "expected.jsonl"))
			if err != nil {
				t.Fatal(err)
			}
			type expected struct {
				Text               string   `json:"text"`
				IDs                []int    `json:"ids"`
				Tokens             []string `json:"tokens"`
				IDsSpecial         []int    `json:"ids_special"`
				Decoded            string   `json:"decoded"`
				DecodedSkipSpecial string   `json:"decoded_skip_special"`
			}
			exp := jsonLines[expected](t, strings.Split(strings.TrimSuffix(string(f), "\n"), "\n"))
			var texts []string
			var ids, idsSpecial [][]int
			for _, e := range exp {
				texts = append(texts, e.Text)
				ids = append(ids, e.IDs)
				idsSpecial = append(idsSpecial, e.IDsSpecial)
			}
			plain := jsonLines[tokenizeLine](t, runCLI(t, quoteAll(t, texts), "tokenize", dir))
			special := jsonLines[tokenizeLine](t, runCLI(t, quoteAll(t, texts), "tokenize", dir, "--special"))
			type textLine struct {
				Text string `json:"text"`
			}
			dec := jsonLines[textLine](t, runCLI(t, quoteAll(t, ids), "detokenize", dir))
			decSkip := jsonLines[textLine](t, runCLI(t, quoteAll(t, idsSpecial), "detokenize", dir, "--skip-special"))
			for i, e := range exp {
				switch {
				case !slices.Equal(plain[i].IDs, e.IDs):
					t.Errorf("line %d %q: ids %v, want %v", i+1, e.Text, plain[i].IDs, e.IDs)
				case !slices.Equal(plain[i].Tokens, e.Tokens):
					t.Errorf("line %d %q: tokens %q, want %q", i+1, e.Text, plain[i].Tokens, e.Tokens)
				case !slices.Equal(special[i].IDs, e.IDsSpecial):
					t.Errorf("line %d %q: ids_special %v, want %v", i+1, e.Text, special[i].IDs, e.IDsSpecial)
				case dec[i].Text != e.Decoded:
					t.Errorf("line %d: decoded %q, want %q", i+1, dec[i].Text, e.Decoded)
				case decSkip[i].Text != e.DecodedSkipSpecial:
					t.Errorf("line %d: decoded_skip_special %q, want %q", i+1, decSkip[i].Text, e.DecodedSkipSpecial)
				}
			}
		})
	}
}

// Every line of llama.cpp's vocabulary fixtures comes out of
// `lbrx tokenize FILE.gguf --split-special` (parse_special=false).
func TestTokenizeCLIGGUFVocabs(t *testing.T) {
	for _, name := range []string{"llama-bpe", "llama-spm", "qwen2", "phi-3", "gpt-2"} {
		t.Run(name, func(t *testing.T) {
			path := testfiles.Path(t, "gguf-vocab", "ggml-vocab-"+name+".gguf")
			inp, err := os.ReadFile(path + ".inp")
			if err != nil {
				t.Fatal(err)
			}
			out, err := os.ReadFile(path + ".out")
			if err != nil {
				t.Fatal(err)
			}
			want := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
			inputs := strings.Split(string(inp), "\n__ggml_vocab_test__\n")[:len(want)]
			got := jsonLines[tokenizeLine](t, runCLI(t, quoteAll(t, inputs), "tokenize", path, "--split-special"))
			for i, w := range want {
				var wantIDs []int
				for _, f := range strings.Fields(w) {
					v, err := strconv.Atoi(f)
					if err != nil {
						t.Fatal(err)
					}
					wantIDs = append(wantIDs, v)
				}
				if !slices.Equal(got[i].IDs, wantIDs) && len(got[i].IDs)+len(wantIDs) > 0 {
					t.Errorf("case %d %q: ids %v, want %v", i+1, inputs[i], got[i].IDs, wantIDs)
				}
			}
		})
	}
}
