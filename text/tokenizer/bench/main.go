// Command bench measures the encode throughput of lbrx's tokenizer and
// compares it with Hugging Face's Rust tokenizers library (through its
// Python bindings, bench_hf.py) on the same texts, one thread each.
//
//	go run ./tokenizer/bench gen -repo ../ -out DIR      # english.txt, mixed.txt (1 MiB each)
//	GOMAXPROCS=1 bench run -data DIR -tok llama3_1=PATH ... > go.jsonl
//	RAYON_NUM_THREADS=1 python3 bench_hf.py DIR llama3_1=PATH ... > hf.jsonl
//	bench compare go.jsonl hf.jsonl                      # a Markdown table with the ratios
//
// The texts are generated deterministically from the repository: english.txt
// is its Markdown files and Go comments (sorted by path, repeated to fill
// 1 MiB); mixed.txt interleaves paragraphs of that English with paragraphs
// in Cyrillic, Greek, Chinese, Japanese, Korean, Arabic, Devanagari and
// Thai script, plus emoji, drawn from fixed per-script word lists made by a
// seeded generator (so words repeat as in real text). Both tools check that
// they produce the same ids (a SHA-256 over the ids). See text/README.md.
package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/lbrx/lbrx/text/tokenizer"
	"github.com/lbrx/lbrx/text/tokenizer/internal/benchtext"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: bench gen|run|compare ...")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "gen":
		err = gen(os.Args[2:])
	case "run":
		err = run(os.Args[2:])
	case "compare":
		err = compare(os.Args[2:])
	default:
		err = fmt.Errorf("unknown subcommand %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func gen(args []string) error {
	fset := flag.NewFlagSet("gen", flag.ContinueOnError)
	repo := fset.String("repo", ".", "repository root")
	out := fset.String("out", ".", "output directory")
	if err := fset.Parse(args); err != nil {
		return err
	}
	english, mixed, err := benchtext.Generate(*repo)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o750); err != nil {
		return err
	}
	for _, t := range []struct{ name, s string }{{"english.txt", english}, {"mixed.txt", mixed}} {
		if err := os.WriteFile(filepath.Join(*out, t.name), []byte(t.s), 0o600); err != nil {
			return err
		}
		sum := sha256.Sum256([]byte(t.s))
		fmt.Printf("%s: %d bytes, sha256 %s\n", t.name, len(t.s), hex.EncodeToString(sum[:]))
	}
	return nil
}

// result is one measurement (the same fields bench_hf.py prints).
type result struct {
	Tool      string  `json:"tool"`
	Tokenizer string  `json:"tokenizer"`
	Text      string  `json:"text"`
	Bytes     int     `json:"bytes"`
	Tokens    int     `json:"tokens"`
	IDsSHA256 string  `json:"ids_sha256"`
	FirstS    float64 `json:"first_s"`
	MedianS   float64 `json:"median_s"`
	MBPerS    float64 `json:"mb_per_s"`
}

// idsHash is SHA-256 over the ids as little-endian uint32.
func idsHash(ids []int) string {
	h := sha256.New()
	var b [4]byte
	for _, id := range ids {
		binary.LittleEndian.PutUint32(b[:], uint32(id))
		h.Write(b[:])
	}
	return hex.EncodeToString(h.Sum(nil))
}

type tokFlags []string

func (t *tokFlags) String() string     { return strings.Join(*t, ",") }
func (t *tokFlags) Set(s string) error { *t = append(*t, s); return nil }

func run(args []string) error {
	fset := flag.NewFlagSet("run", flag.ContinueOnError)
	data := fset.String("data", ".", "directory holding english.txt and mixed.txt")
	rounds := fset.Int("rounds", 5, "timed encodes per text after the first")
	var toks tokFlags
	fset.Var(&toks, "tok", "NAME=PATH of a tokenizer (repeatable)")
	if err := fset.Parse(args); err != nil {
		return err
	}
	enc := json.NewEncoder(os.Stdout)
	for _, nt := range toks {
		name, path, ok := strings.Cut(nt, "=")
		if !ok {
			return fmt.Errorf("-tok %q: want NAME=PATH", nt)
		}
		tk, err := tokenizer.Load(path)
		if err != nil {
			return err
		}
		for _, text := range []string{"english", "mixed"} {
			b, err := os.ReadFile(filepath.Join(*data, text+".txt")) //nolint:gosec // the texts bench gen wrote
			if err != nil {
				return err
			}
			s := string(b)
			var times []float64
			var ids []int
			for range *rounds + 1 {
				t0 := time.Now()
				ids, err = tk.Encode(s, false)
				if err != nil {
					return err
				}
				times = append(times, time.Since(t0).Seconds())
			}
			med := median(times[1:])
			if err := enc.Encode(result{Tool: "lbrx", Tokenizer: name, Text: text, Bytes: len(s), Tokens: len(ids),
				IDsSHA256: idsHash(ids), FirstS: times[0], MedianS: med, MBPerS: float64(len(s)) / med / 1e6}); err != nil {
				return err
			}
		}
	}
	return nil
}

func median(x []float64) float64 {
	s := slices.Clone(x)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}

func readResults(path string) (map[string]result, []string, error) {
	f, err := os.Open(path) //nolint:gosec // the caller's result file
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	out := map[string]result{}
	var order []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r result
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
		k := r.Tokenizer + "/" + r.Text
		out[k] = r
		order = append(order, k)
	}
	return out, order, sc.Err()
}

func compare(args []string) error {
	if len(args) != 2 {
		return errors.New("usage: bench compare go.jsonl hf.jsonl")
	}
	ours, order, err := readResults(args[0])
	if err != nil {
		return err
	}
	theirs, _, err := readResults(args[1])
	if err != nil {
		return err
	}
	fmt.Println("| tokenizer | text | tokens | same ids | lbrx MB/s | HF tokenizers MB/s | ratio | lbrx first run s | HF first run s |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|")
	for _, k := range order {
		a, b := ours[k], theirs[k]
		if b.Tool == "" {
			fmt.Printf("| %s | %s | %d | no HF result | %.2f | | | %.3f | |\n", a.Tokenizer, a.Text, a.Tokens, a.MBPerS, a.FirstS)
			continue
		}
		same := "yes"
		if a.IDsSHA256 != b.IDsSHA256 {
			same = fmt.Sprintf("NO (%d vs %d tokens)", a.Tokens, b.Tokens)
		}
		fmt.Printf("| %s | %s | %d | %s | %.2f | %.2f | %.2fx | %.3f | %.3f |\n",
			a.Tokenizer, a.Text, a.Tokens, same, a.MBPerS, b.MBPerS, a.MBPerS/b.MBPerS, a.FirstS, b.FirstS)
	}
	return nil
}
