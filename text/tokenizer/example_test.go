package tokenizer_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/lbrx/lbrx/text/tokenizer"
)

// sharedDir finds the shared tokenizer fixtures the way the tests do
// (LBRX_SHARED, else ../shared beside the repository).
func sharedDir(name string) string {
	if s := os.Getenv("LBRX_SHARED"); s != "" {
		return filepath.Join(s, "testdata", "tokenizers", name)
	}
	return filepath.Join("..", "..", "..", "shared", "testdata", "tokenizers", name)
}

func Example() {
	tk, err := tokenizer.Load(sharedDir("llama3_1")) // a directory holding tokenizer.json
	if err != nil {
		log.Fatal(err)
	}
	ids, err := tk.Encode("Hello world", true) // with the BOS token the post-processor adds
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ids, tk.Tokens(ids))
	text, err := tk.Decode(ids, true) // skipping special tokens
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%q\n", text)
	// Output:
	// [128000 9906 1917] [<|begin_of_text|> Hello Ġworld]
	// "Hello world"
}

func ExampleTokenizer_NewDecoder() {
	tk, err := tokenizer.Load(sharedDir("mistral"))
	if err != nil {
		log.Fatal(err)
	}
	ids, err := tk.Encode("Hi 🦙!", false) // the llama is four <0xNN> byte tokens
	if err != nil {
		log.Fatal(err)
	}
	d := tk.NewDecoder(true)
	for _, id := range ids {
		s, err := d.Add(id)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s %q\n", tk.Tokens([]int{id})[0], s)
	}
	rest, _ := d.Flush()
	fmt.Printf("rest %q\n", rest)
	// Output:
	// ▁Hi "Hi"
	// ▁ " "
	// <0xF0> ""
	// <0x9F> ""
	// <0xA6> ""
	// <0x99> "🦙"
	// ! "!"
	// rest ""
}

func ExampleTokenizer_EncodeWith() {
	tk, err := tokenizer.Load(sharedDir("qwen3"))
	if err != nil {
		log.Fatal(err)
	}
	for _, split := range []bool{false, true} {
		ids, err := tk.EncodeWith("<|im_start|>user", tokenizer.EncodeOptions{SplitSpecial: split})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(split, tk.Tokens(ids))
	}
	// Output:
	// false [<|im_start|> user]
	// true [< | im _start | > user]
}
