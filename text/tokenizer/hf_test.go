package tokenizer

import (
	"bufio"
	"encoding/json"
	"os"
	"slices"
	"testing"

	"github.com/lbrx/lbrx/core/testfiles"
)

// expected is one line of tokenizers/<name>/expected.jsonl.
type expected struct {
	Text               string   `json:"text"`
	IDs                []int    `json:"ids"`
	Tokens             []string `json:"tokens"`
	IDsSpecial         []int    `json:"ids_special"`
	Decoded            string   `json:"decoded"`
	DecodedSkipSpecial string   `json:"decoded_skip_special"`
}

func readExpected(t *testing.T, name string) []expected {
	t.Helper()
	f, err := os.Open(testfiles.Path(t, "tokenizers", name, "expected.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	var out []expected
	for sc.Scan() {
		var e expected
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// sharedTokenizers are the four real tokenizers in the shared test data.
var sharedTokenizers = []string{"llama3_1", "mistral", "qwen3", "gemma3"}

func loadShared(t testing.TB, name string) *Tokenizer {
	t.Helper()
	tk, err := Load(testfiles.Path(t, "tokenizers", name))
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func TestSharedTokenizers(t *testing.T) {
	for _, name := range sharedTokenizers {
		t.Run(name, func(t *testing.T) {
			tk := loadShared(t, name)
			bad := 0
			for i, e := range readExpected(t, name) {
				ids, err := tk.Encode(e.Text, false)
				if err != nil {
					t.Fatalf("case %d: %v", i+1, err)
				}
				idsS, err := tk.Encode(e.Text, true)
				if err != nil {
					t.Fatalf("case %d: %v", i+1, err)
				}
				dec, err := tk.Decode(e.IDs, false)
				if err != nil {
					t.Fatalf("case %d: %v", i+1, err)
				}
				decS, err := tk.Decode(e.IDsSpecial, true)
				if err != nil {
					t.Fatalf("case %d: %v", i+1, err)
				}
				toks := tk.Tokens(e.IDs)
				if !slices.Equal(ids, e.IDs) || !slices.Equal(idsS, e.IDsSpecial) || !slices.Equal(toks, e.Tokens) ||
					dec != e.Decoded || decS != e.DecodedSkipSpecial {
					bad++
					if bad <= 5 {
						t.Errorf("case %d %q:\n ids  %v\n want %v\n special %v want %v\n tokens %q\n want   %q\n decoded %q want %q\n skip %q want %q",
							i+1, e.Text, ids, e.IDs, idsS, e.IDsSpecial, toks, e.Tokens, dec, e.Decoded, decS, e.DecodedSkipSpecial)
					}
				}
			}
			if bad > 0 {
				t.Errorf("%d cases differ", bad)
			}
		})
	}
}
