package serve_test

import (
	"context"
	"net/http"
	"time"

	"github.com/lbrx/lbrx/models/llama"
	"github.com/lbrx/lbrx/serve"
	"github.com/lbrx/lbrx/text/chat"
	"github.com/lbrx/lbrx/text/tokenizer"
)

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// Serving a model directory on loopback, as lbrx serve does, and shutting
// down gracefully. (A model directory is needed, so this example is
// compiled but not run.)
func ExampleNew() {
	dir := "path/to/Qwen2.5-0.5B-Instruct"
	m := must(llama.Load(dir, llama.Options{}))
	defer func() { _ = m.Close() }()
	s := must(serve.New(serve.Config{
		Model:     m,
		Tokenizer: must(tokenizer.Load(dir)),
		Template:  must(chat.Load(dir)),
		Name:      "qwen",
		MaxBatch:  8,
	}))
	hs := &http.Server{Addr: "127.0.0.1:8080", Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.ListenAndServe() }()
	// ... on SIGTERM:
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = hs.Shutdown(ctx)
	_ = s.Shutdown(ctx)
}
