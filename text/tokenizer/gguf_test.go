package tokenizer

import (
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/lbrx/lbrx/core/testfiles"
)

var ggufVocabs = []string{"llama-bpe", "llama-spm", "qwen2", "phi-3", "gpt-2"}

// ggufCases reads llama.cpp's fixture: test strings and the ids expected.
func ggufCases(t *testing.T, name string) (inputs []string, want [][]int) {
	t.Helper()
	base := testfiles.Path(t, "gguf-vocab", "ggml-vocab-"+name+".gguf")
	inp, err := os.ReadFile(base + ".inp")
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.ReadFile(base + ".out")
	if err != nil {
		t.Fatal(err)
	}
	inputs = strings.Split(string(inp), "\n__ggml_vocab_test__\n")
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(inputs) == len(lines)+1 && inputs[len(inputs)-1] == "" {
		inputs = inputs[:len(lines)] // the file ends with a separator
	}
	if len(inputs) != len(lines) {
		t.Fatalf("%s: %d inputs, %d outputs", name, len(inputs), len(lines))
	}
	for _, l := range lines {
		var ids []int
		for _, f := range strings.Fields(l) {
			v, err := strconv.Atoi(f)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, v)
		}
		want = append(want, ids)
	}
	return inputs, want
}

func TestGGUFVocabs(t *testing.T) {
	for _, name := range ggufVocabs {
		t.Run(name, func(t *testing.T) {
			tk, err := Load(testfiles.Path(t, "gguf-vocab", "ggml-vocab-"+name+".gguf"))
			if err != nil {
				t.Fatal(err)
			}
			inputs, want := ggufCases(t, name)
			bad := 0
			for i, s := range inputs {
				got, err := tk.EncodeWith(s, EncodeOptions{SplitSpecial: true})
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got, want[i]) && (len(got) != 0 || len(want[i]) != 0) {
					bad++
					if bad <= 5 {
						t.Errorf("case %d %q:\n got  %v\n want %v", i+1, s, got, want[i])
					}
				}
				// What llama.cpp writes back: the text itself.
				if back, err := tk.Decode(got, false); err != nil || back != s {
					t.Errorf("case %d %q decodes back to %q (%v)", i+1, s, back, err)
				}
			}
			if bad > 0 {
				t.Errorf("%d of %d cases differ", bad, len(inputs))
			}
		})
	}
}

// Every pre-tokenizer name llama.cpp accepts compiles, except the two whose
// llama.cpp implementation is custom code rather than a pattern.
func TestGGUFPreNamesCompile(t *testing.T) {
	custom := map[string]bool{"kimi_k2": true, "afmoe": true}
	for name, p := range ggufPreNames {
		pats, ok := ggufPreKinds[p.kind]
		if !ok {
			t.Errorf("%s: kind %s has no patterns", name, p.kind)
			continue
		}
		for _, pat := range pats {
			m, err := compilePattern(pat)
			if custom[p.kind] {
				continue
			}
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			if _, err := m.find("Hello, wörld! 123 4567 你好 'll\n\n  x", nil); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	}
}

func TestGGUFConfig(t *testing.T) {
	cases := []struct {
		name   string
		bos    int
		eos    []int
		addBOS bool
	}{
		{"llama-bpe", 128000, []int{128001, 128009}, true}, // eos, then <|eot_id|> by its text
		{"llama-spm", 1, []int{2}, true},
		{"qwen2", 151643, []int{151643, 151645, 128247}, false}, // <|endoftext|>, then <|im_end|> and </s> (a plain BPE token here) by their text, as llama.cpp
		{"gpt-2", 50256, []int{50256}, false},
	}
	for _, c := range cases {
		tk, err := Load(testfiles.Path(t, "gguf-vocab", "ggml-vocab-"+c.name+".gguf"))
		if err != nil {
			t.Fatal(err)
		}
		bos, _ := tk.BOS()
		if bos != c.bos || !slices.Equal(tk.EOS(), c.eos) || tk.Config().AddBOS != c.addBOS {
			t.Errorf("%s: bos %d eos %v addBOS %v", c.name, bos, tk.EOS(), tk.Config().AddBOS)
		}
	}
}
