package llama

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/core/gguf"
)

// The GGUF speed benchmarks run a model file given by LBRX_BENCH_GGUF the
// way llama-bench's tg and pp tests do, so that magefile_cpubench.go can
// put lbrx beside llama.cpp on the same file: decode generates from an
// empty context up to LBRX_BENCH_TG tokens (default 128) and starts over,
// prefill runs a prompt of LBRX_BENCH_PP tokens (default 64) into a fresh
// cache. Threads follow -cpu (GOMAXPROCS). Both report tok/s.
// LBRX_BENCH_LOAD=readat reads the weights into the heap instead of
// mapping the file.

func benchGGUF(b *testing.B) *Model {
	b.Helper()
	path := os.Getenv("LBRX_BENCH_GGUF")
	if path == "" {
		b.Skip("set LBRX_BENCH_GGUF to a Llama GGUF file (go tool mage perf:cpu makes one)")
	}
	mode := core.LoadAuto
	if os.Getenv("LBRX_BENCH_LOAD") == "readat" {
		mode = core.LoadReadAt // weights in the Go heap instead of the file's mapping
	}
	f, err := gguf.Open(path, gguf.WithLoadMode(mode))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = f.Close() })
	cfg, tensors, err := FromGGUF(f)
	if err != nil {
		b.Fatal(err)
	}
	m, err := New(cfg, tensors, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("model %s", filepath.Base(path))
	return m
}

func benchEnvInt(b *testing.B, key string, def int) int {
	b.Helper()
	v := os.Getenv(key)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		b.Fatalf("%s=%q: want a positive integer", key, v)
	}
	return n
}

// BenchmarkGGUFDecode measures one-token steps from an empty context the
// way GenerateCache runs them: the step recorded once (core.Record) and
// replayed for every token, the logits read back to the host.
// LBRX_BENCH_EAGER=1 runs every step op by op instead (m.forward, as
// GenerateOptions.Eager does).
func BenchmarkGGUFDecode(b *testing.B) {
	m := benchGGUF(b)
	tg := benchEnvInt(b, "LBRX_BENCH_TG", 128)
	eager := os.Getenv("LBRX_BENCH_EAGER") == "1"
	c := m.NewCache()
	if err := m.Reserve(c, tg); err != nil {
		b.Fatal(err)
	}
	// One untimed step pages the weights in, and one more records the
	// step (as Generate's first steps run op by op, then record).
	if _, err := m.forward([]int{1}, c, true); err != nil {
		b.Fatal(err)
	}
	var step *stepGraph
	if !eager {
		var err error
		if step, err = m.newStep(c, false); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = step.close() })
		if _, _, err := step.run(2); err != nil {
			b.Fatal(err)
		}
	}
	c.Reset()
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		if c.Len() >= tg {
			c.Reset() // the arrays stay: the recorded step stays valid
		}
		id := (i*31 + 7) % m.Config.VocabSize
		var logits *core.Array
		var err error
		if eager {
			logits, err = m.forward([]int{id}, c, true)
		} else {
			_, logits, err = step.run(id)
		}
		if err != nil {
			b.Fatal(err)
		}
		if _, err := hostF32(logits); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "tok/s")
}

// BenchmarkGGUFPrefill measures a prompt's forward pass into a new cache.
func BenchmarkGGUFPrefill(b *testing.B) {
	m := benchGGUF(b)
	pp := benchEnvInt(b, "LBRX_BENCH_PP", 64)
	prompt := make([]int, pp)
	for i := range prompt {
		prompt[i] = (i*131 + 5) % m.Config.VocabSize
	}
	if _, err := m.forward(prompt[:1], m.NewCache(), true); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		logits, err := m.forward(prompt, m.NewCache(), true)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := hostF32(logits); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(pp*b.N)/b.Elapsed().Seconds(), "tok/s")
}
