package tokenizer

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/lbrx/lbrx/core/testfiles"
)

// TestGGUFAgainstLlamaCpp runs llama.cpp's own tokenizer (the shared
// reference tool ../shared/tools/llamacpp/tokenize.cpp, built; its path in
// LBRX_LLAMACPP_TOKENIZE) on the 61 shared test strings for every GGUF
// vocabulary and compares with lbrx (parse_special=false on both sides).
func TestGGUFAgainstLlamaCpp(t *testing.T) {
	bin := os.Getenv("LBRX_LLAMACPP_TOKENIZE")
	if bin == "" {
		t.Skip("needs llama.cpp's tokenize reference tool: build ../shared/tools/llamacpp (build.sh) and set LBRX_LLAMACPP_TOKENIZE")
	}
	cases := sharedCases(t)
	var in bytes.Buffer
	for _, s := range cases {
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		in.Write(b)
		in.WriteByte('\n')
	}
	for _, name := range ggufVocabs {
		t.Run(name, func(t *testing.T) {
			path := testfiles.Path(t, "gguf-vocab", "ggml-vocab-"+name+".gguf")
			cmd := exec.Command(bin, path)
			cmd.Stdin = bytes.NewReader(in.Bytes())
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("%s: %v", bin, err)
			}
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			if len(lines) != len(cases) {
				t.Fatalf("llama.cpp printed %d lines for %d strings", len(lines), len(cases))
			}
			tk, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range cases {
				var want []int
				if err := json.Unmarshal([]byte(lines[i]), &want); err != nil {
					t.Fatalf("line %d: %v", i+1, err)
				}
				got, err := tk.EncodeWith(s, EncodeOptions{SplitSpecial: true})
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got, want) && len(got)+len(want) > 0 {
					t.Errorf("case %d %q:\n lbrx      %v\n llama.cpp %v", i+1, s, got, want)
				}
			}
		})
	}
}
