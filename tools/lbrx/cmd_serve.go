package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/lbrx/lbrx/models/llama"
	"github.com/lbrx/lbrx/serve"
	"github.com/lbrx/lbrx/text/chat"
	"github.com/lbrx/lbrx/text/tokenizer"
)

func init() {
	commands["serve"] = &command{
		summary: "serve a model over an OpenAI-compatible HTTP API with continuous batching",
		args:    []string{"MODEL"},
		setup:   serveSetup,
	}
}

// serveGrace is how long SIGTERM or SIGINT lets running requests finish
// before they are cancelled.
const serveGrace = 5 * time.Second

func serveSetup(fs *flag.FlagSet) runFunc {
	host := fs.String("host", "127.0.0.1", "address to listen on (127.0.0.1: this machine only)")
	port := fs.Int("port", 8080, "TCP port (0: any free port)")
	device := fs.String("device", "", "device to run on (default: the best available, or LBRX_DEVICE)")
	maxBatch := fs.Int("max-batch", 8, "most sequences decoded together")
	ctxLen := fs.Int("ctx", 0, "most positions (prompt + generated) per sequence (default: the model's max_position_embeddings)")
	apiKey := fs.String("api-key", "", "require this bearer token (default: $LBRX_API_KEY; none when both are empty)")
	tok := fs.String("tokenizer", "", "tokenizer.json, or a directory or GGUF file holding the tokenizer (default: MODEL)")
	name := fs.String("name", "", "model id clients send and /v1/models lists (default: MODEL's base name)")
	queue := fs.Int("queue", 0, "most requests waiting for a slot; more get 429 (default: 4 x --max-batch)")
	kvMiB := fs.Int64("kv-budget", 0, "MiB of KV cache for all sequences together (default: --max-batch full contexts)")
	vary := fs.Bool("vary-width", false, "decode with only the running sequences instead of --max-batch rows (faster when few run; greedy output may then depend on the load)")
	return func(pos []string, stdout, stderr io.Writer) error {
		return runServe(pos[0], serveFlags{*host, *port, *device, *maxBatch, *ctxLen, *apiKey, *tok, *name, *queue, *kvMiB, *vary}, stdout, stderr)
	}
}

type serveFlags struct {
	host      string
	port      int
	device    string
	maxBatch  int
	ctx       int
	apiKey    string
	tokenizer string
	name      string
	queue     int
	kvMiB     int64
	vary      bool
}

func runServe(path string, f serveFlags, stdout, stderr io.Writer) error {
	switch {
	case f.port < 0 || f.port > 65535:
		return usagef("--port %d is not in [0, 65535]", f.port)
	case f.maxBatch < 1 || f.maxBatch > 1024:
		return usagef("--max-batch %d is not in [1, 1024]", f.maxBatch)
	case f.ctx < 0 || f.ctx == 1:
		return usagef("--ctx %d must be at least 2 (0: the model's)", f.ctx)
	case f.queue < 0:
		return usagef("--queue %d is negative", f.queue)
	case f.kvMiB < 0:
		return usagef("--kv-budget %d is negative", f.kvMiB)
	}
	if f.apiKey == "" {
		f.apiKey = os.Getenv("LBRX_API_KEY")
	}
	dev, err := pickDevice(f.device)
	if err != nil {
		return err
	}
	if err := checkInput(path, inputRunnable); err != nil {
		return err
	}
	m, err := llama.Load(path, llama.Options{Device: dev})
	if err != nil {
		return err
	}
	defer func() { _ = m.Close() }()
	tokPath := f.tokenizer
	if tokPath == "" {
		tokPath = modelDir(path)
	}
	tk, err := tokenizer.Load(tokPath)
	if err != nil {
		return fmt.Errorf("tokenizer: %w (give one with --tokenizer)", err)
	}
	tmpl, err := chat.Load(tokPath)
	if err != nil {
		fmt.Fprintf(stderr, "lbrx serve: no chat template (%v); /v1/chat/completions answers 400\n", err)
		tmpl = nil
	}
	if f.name == "" {
		f.name = filepath.Base(filepath.Clean(path))
	}
	s, err := serve.New(serve.Config{
		Model: m, Tokenizer: tk, Template: tmpl, Name: f.name, MaxBatch: f.maxBatch, Context: f.ctx,
		KVBudget: f.kvMiB << 20, QueueSize: f.queue, APIKey: f.apiKey, VaryWidth: f.vary,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(f.host, strconv.Itoa(f.port)))
	if err != nil {
		_ = s.Close()
		return err
	}
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		// No WriteTimeout: a streamed answer lasts as long as it
		// generates; a client that goes away ends it.
	}
	fmt.Fprintf(stdout, "lbrx serve: %s on %s, listening on http://%s\n", f.name, m.Device().Name(), ln.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	select {
	case err := <-served:
		_ = s.Close()
		return err
	case <-ctx.Done():
	}
	fmt.Fprintln(stdout, "lbrx serve: shutting down")
	grace, cancel := context.WithTimeout(context.Background(), serveGrace)
	defer cancel()
	// Stop accepting, let running requests finish within the grace
	// period, then cancel them; the HTTP server returns once every
	// handler did.
	httpDone := make(chan error, 1)
	go func() { httpDone <- hs.Shutdown(grace) }()
	if err := s.Shutdown(grace); err != nil {
		fmt.Fprintf(stdout, "lbrx serve: cancelled requests still running after %v\n", serveGrace)
	}
	if err := <-httpDone; err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	_ = hs.Close()
	return nil
}

// modelDir is where MODEL's tokenizer lives: a .safetensors file's
// directory, else MODEL itself (a directory or a GGUF file).
func modelDir(path string) string {
	if strings.HasSuffix(strings.ToLower(path), ".safetensors") {
		return filepath.Dir(path)
	}
	return path
}
