package serve

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core/testfiles"
	"github.com/lbrx/lbrx/models/llama"
	"github.com/lbrx/lbrx/models/sample"
	"github.com/lbrx/lbrx/serve/servetest"
	"github.com/lbrx/lbrx/text/tokenizer"
)

// benchModel is a model the benchmarks serve: a path under the shared
// testdata, or an absolute path, and the context to serve it with.
type benchModel struct {
	name string
	path []string
	ctx  int
}

// benchModels are the test models, plus LBRX_BENCH_MODEL, a model of the
// caller's (a path): the test models are small enough that a GPU pass
// is all launch overhead, while a real model's matmuls wait on its
// weights, which a batch reads once for every row.
func benchModels() []benchModel {
	models := []benchModel{
		{"tiny-llama-f32", []string{"safetensors", "tiny-llama"}, 128},
		{"small-llama-q8_0", []string{"gguf-models", "small-llama", "small-llama-q8_0.gguf"}, 0},
	}
	if p := os.Getenv("LBRX_BENCH_MODEL"); p != "" {
		models = append(models, benchModel{filepath.Base(p), []string{p}, 512})
	}
	return models
}

// benchRuns are the client counts and engine widths each model runs at:
// "padded" is the default batch-invariant engine (every pass 8 rows
// wide), "vary" the engine with VaryWidth.
var benchRuns = []struct {
	name    string
	clients int
	vary    bool
}{
	{"c=1/vary", 1, true},
	{"c=1/padded", 1, false},
	{"c=8/padded", 8, false},
	{"c=8/vary", 8, true},
}

// benchEngine builds a server for md with a byte-level tokenizer as large
// as its vocabulary (completions only), closed when b ends.
func benchEngine(b testing.TB, md benchModel, cfg Config) *Server {
	path := md.path[0]
	if !filepath.IsAbs(path) {
		path = testfiles.Path(b, md.path...)
	}
	m, err := llama.Load(path, llama.Options{})
	require.NoError(b, err)
	b.Cleanup(func() { _ = m.Close() })
	tj, err := servetest.ByteLevelTokenizer(m.Config.VocabSize)
	require.NoError(b, err)
	tp := filepath.Join(b.TempDir(), "tokenizer.json")
	require.NoError(b, os.WriteFile(tp, tj, 0o600))
	tk, err := tokenizer.Load(tp)
	require.NoError(b, err)
	cfg.Model, cfg.Tokenizer, cfg.Name, cfg.Context = m, tk, "bench", md.ctx
	s, err := New(cfg)
	require.NoError(b, err)
	b.Cleanup(func() { _ = s.Close() })
	return s
}

// benchServer serves md as benchEngine builds it on loopback.
func benchServer(b *testing.B, md benchModel, cfg Config) string {
	hs := httptest.NewServer(benchEngine(b, md, cfg))
	b.Cleanup(hs.Close)
	return hs.URL
}

// BenchmarkServe measures aggregate decode throughput over HTTP on
// loopback: each iteration sends `clients` streaming completions at once
// (16 prompt ids, 64 tokens each, end-of-sequence ignored) and reports
// generated tokens per second of wall time, and the p50/p99 time to first
// token, inter-token latency (the gaps between chunks as the clients
// read them) and the median time per output token after the first (a
// request's decode time over its tokens). "padded" runs the
// default batch-invariant engine (every pass 8 rows wide), "vary" the
// engine with VaryWidth (passes as wide as the running sequences).
//
//	go test ./serve -run '^$' -bench BenchmarkServe -benchtime 5x
func BenchmarkServe(b *testing.B) {
	for _, md := range benchModels() {
		for _, r := range benchRuns {
			b.Run(md.name+"/"+r.name, func(b *testing.B) {
				url := benchServer(b, md, Config{MaxBatch: 8, VaryWidth: r.vary})
				c := openai.NewClient(option.WithBaseURL(url+"/v1/"), option.WithAPIKey("unused"), option.WithMaxRetries(0))
				prompt := make([]int64, 16)
				for i := range prompt {
					prompt[i] = int64(1 + i*5)
				}
				var ttft, gaps, tpot []time.Duration
				tokens := 0
				var elapsed time.Duration
				b.ResetTimer()
				for range b.N {
					start := time.Now()
					var mu sync.Mutex
					var wg sync.WaitGroup
					for k := range r.clients {
						wg.Go(func() {
							p := append([]int64{int64(100 + k)}, prompt...) // distinct prompts
							res := streamIDs(context.Background(), c, p, 64)
							mu.Lock()
							defer mu.Unlock()
							if res.err != nil {
								b.Error(res.err)
								return
							}
							tokens += res.tokens
							ttft = append(ttft, res.ttft)
							if res.tokens > 1 {
								tpot = append(tpot, (res.total-res.ttft)/time.Duration(res.tokens-1))
							}
							gaps = append(gaps, res.gaps...)
						})
					}
					wg.Wait()
					elapsed += time.Since(start)
				}
				b.ReportMetric(float64(tokens)/elapsed.Seconds(), "tok/s")
				b.ReportMetric(ms(percentile(ttft, 50)), "ttft-p50-ms")
				b.ReportMetric(ms(percentile(ttft, 99)), "ttft-p99-ms")
				b.ReportMetric(ms(percentile(gaps, 50)), "itl-p50-ms")
				b.ReportMetric(ms(percentile(gaps, 99)), "itl-p99-ms")
				b.ReportMetric(ms(percentile(tpot, 50)), "tpot-p50-ms")
			})
		}
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// streamIDs streams a completion of prompt ids, ignoring end-of-sequence
// tokens, and records its timing; every chunk (text or not) counts as a
// token arriving.
func streamIDs(ctx context.Context, c openai.Client, prompt []int64, maxTokens int) loadResult {
	var res loadResult
	start := time.Now()
	last := start
	st := c.Completions.NewStreaming(ctx, openai.CompletionNewParams{
		Model: "bench", Prompt: openai.CompletionNewParamsPromptUnion{OfArrayOfTokens: prompt},
		MaxTokens: openai.Int(int64(maxTokens)), Temperature: openai.Float(0),
		StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
	}, option.WithJSONSet("ignore_eos", true))
	for st.Next() {
		ch := st.Current()
		if ch.Usage.CompletionTokens > 0 {
			res.tokens = int(ch.Usage.CompletionTokens)
		}
		if len(ch.Choices) == 0 || ch.Choices[0].Text == "" {
			continue
		}
		now := time.Now()
		if res.ttft == 0 {
			res.ttft = now.Sub(start)
		} else {
			res.gaps = append(res.gaps, now.Sub(last))
		}
		last = now
	}
	res.err = st.Err()
	res.total = time.Since(start)
	return res
}

// BenchmarkEngine is BenchmarkServe without HTTP: jobs go straight to the
// engine and their tokens are read off the channel, so the figure is the
// batching engine's own aggregate decode rate (prefill included, as in a
// server) free of the clients' and handlers' CPU time.
//
//	go test ./serve -run '^$' -bench BenchmarkEngine -benchtime 5x
func BenchmarkEngine(b *testing.B) {
	for _, md := range benchModels() {
		for _, r := range benchRuns {
			b.Run(md.name+"/"+r.name, func(b *testing.B) {
				s := benchEngine(b, md, Config{MaxBatch: 8, VaryWidth: r.vary})
				tokens := 0
				b.ResetTimer()
				for range b.N {
					jobs := make([]*job, r.clients)
					for k := range jobs {
						prompt := []int{100 + k}
						for i := range 16 {
							prompt = append(prompt, 1+i*5)
						}
						sm, err := sample.New(sample.Options{})
						require.NoError(b, err)
						jobs[k] = newJob(context.Background(), prompt, 64, sm)
						jobs[k].ignoreEOS = true
						require.Nil(b, s.eng.submit(jobs[k]))
					}
					for _, j := range jobs {
						for ev := range j.events {
							require.NoError(b, ev.err)
							tokens++
							if ev.finish != "" {
								break
							}
						}
					}
				}
				b.ReportMetric(float64(tokens)/b.Elapsed().Seconds(), "tok/s")
			})
		}
	}
}
