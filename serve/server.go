package serve

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/models/llama"
	"github.com/lbrx/lbrx/text/chat"
	"github.com/lbrx/lbrx/text/tokenizer"
)

// Config configures a Server.
type Config struct {
	// Model runs the requests; Tokenizer turns text into its ids and
	// back. Both are required.
	Model     *llama.Model
	Tokenizer *tokenizer.Tokenizer
	// Template renders chat requests; nil answers them with 400.
	Template *chat.Template
	// Name is the model id /v1/models lists and responses carry.
	Name string
	// MaxBatch is the most sequences decoded together (default 8).
	MaxBatch int
	// Context is the most positions (prompt and generated tokens) of one
	// sequence (default: the model's max_position_embeddings, else 4096).
	Context int
	// KVBudget bounds the bytes of KV cache reserved for all running
	// sequences together; each reserves prompt + max_tokens positions,
	// rounded up to whole blocks of llama.PoolBlock, when admitted
	// (default: MaxBatch full contexts).
	KVBudget int64
	// QueueSize is the most requests waiting for a slot; more get 429
	// (default 4 * MaxBatch).
	QueueSize int
	// MaxBodyBytes bounds a request body; larger ones get 413 (default
	// 4 MiB).
	MaxBodyBytes int64
	// APIKey, when set, must come as "Authorization: Bearer KEY" on every
	// endpoint but /health.
	APIKey string
	// VaryWidth runs each decode pass with only the active sequences
	// instead of MaxBatch rows: faster when few run, but a greedy answer
	// may then change with the load (see the package doc).
	VaryWidth bool
}

// Server serves one model. Create it with New; it is an http.Handler.
type Server struct {
	cfg     Config
	eng     *engine
	metrics *metrics
	mux     *http.ServeMux
	keyHash [sha256.Size]byte
	closing atomic.Bool
	// inflight counts completion requests being handled, so that
	// Shutdown waits for one the engine has not seen yet.
	inflight atomic.Int64
	created  int64
}

// New checks cfg, fills its defaults and starts the engine.
func New(cfg Config) (*Server, error) {
	if cfg.Model == nil || cfg.Tokenizer == nil {
		return nil, errors.New("serve: a model and a tokenizer are required")
	}
	mc := cfg.Model.Config
	if cfg.Name == "" {
		cfg.Name = "lbrx"
	}
	if cfg.MaxBatch == 0 {
		cfg.MaxBatch = 8
	}
	if cfg.MaxBatch < 1 || cfg.MaxBatch > 1024 {
		return nil, fmt.Errorf("serve: max batch %d is not in [1, 1024]", cfg.MaxBatch)
	}
	if cfg.Context == 0 {
		cfg.Context = mc.MaxPositions
		if cfg.Context <= 0 {
			cfg.Context = 4096
		}
	}
	if cfg.Context < 2 {
		return nil, fmt.Errorf("serve: context %d is shorter than 2 positions", cfg.Context)
	}
	perPos := int64(kvBytesPerPosition(cfg.Model))
	if cfg.KVBudget == 0 {
		cfg.KVBudget = int64(cfg.MaxBatch) * int64(cfg.Context) * perPos
	}
	if cfg.KVBudget < int64(cfg.Context)*perPos {
		return nil, fmt.Errorf("serve: a KV budget of %d bytes does not hold one context of %d positions (%d bytes each)", cfg.KVBudget, cfg.Context, perPos)
	}
	if cfg.QueueSize == 0 {
		cfg.QueueSize = 4 * cfg.MaxBatch
	}
	if cfg.QueueSize < 1 {
		return nil, fmt.Errorf("serve: queue size %d is not positive", cfg.QueueSize)
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = 4 << 20
	}
	if tv, mv := cfg.Tokenizer.VocabSize(), mc.VocabSize; tv > mv {
		return nil, fmt.Errorf("serve: the tokenizer has %d tokens, the model's vocabulary %d", tv, mv)
	}
	s := &Server{cfg: cfg, metrics: newMetrics(), created: time.Now().Unix()}
	eos := map[int]bool{}
	for _, id := range mc.EOS {
		eos[id] = true
	}
	for _, id := range cfg.Tokenizer.EOS() {
		eos[id] = true
	}
	budget := int(min(cfg.KVBudget/perPos, int64(cfg.MaxBatch)*int64(cfg.Context)))
	pool, err := cfg.Model.NewPool(cfg.Context, budget)
	if err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	s.eng = &engine{
		m: cfg.Model, pool: pool, eos: eos, width: cfg.MaxBatch, ctxLen: cfg.Context,
		budget: budget, pad: !cfg.VaryWidth,
		queue: make(chan *job, cfg.QueueSize), quit: make(chan struct{}), done: make(chan struct{}), metrics: s.metrics,
	}
	if cfg.APIKey != "" {
		s.keyHash = sha256.Sum256([]byte(cfg.APIKey))
	}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("POST /v1/chat/completions", s.counted("chat", s.chatCompletions))
	s.mux.HandleFunc("POST /v1/completions", s.counted("completions", s.completions))
	s.mux.HandleFunc("GET /v1/models", s.counted("models", s.models))
	s.mux.HandleFunc("GET /health", s.health)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}))
	go s.eng.run()
	return s, nil
}

// kvBytesPerPosition is what one position of one sequence costs in the
// KV cache: keys and values of every layer in the model's dtype.
func kvBytesPerPosition(m *llama.Model) int {
	c := m.Config
	return c.NumLayers * 2 * c.NumKVHeads * c.HeadDim * m.DType().Size()
}

// ServeHTTP checks the API key, then routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.cfg.APIKey != "" && r.URL.Path != "/health" && !s.authorized(r) {
		writeError(w, errAuth)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// authorized compares the bearer token with the key in constant time
// (both hashed first, so neither their lengths nor a prefix leak).
func (s *Server) authorized(r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return false
	}
	h := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	return subtle.ConstantTimeCompare(h[:], s.keyHash[:]) == 1
}

// Shutdown stops accepting requests (new ones get 503), lets the running
// and queued ones finish until ctx is done, then cancels what is left and
// stops the engine. It returns ctx's error when it had to cancel.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closing.Store(true)
	var err error
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
wait:
	for s.inflight.Load() > 0 || s.eng.busy() {
		select {
		case <-ctx.Done():
			err = ctx.Err()
			break wait
		case <-tick.C:
		}
	}
	s.eng.stop()
	<-s.eng.done
	return err
}

// Close stops the server at once, cancelling running requests.
func (s *Server) Close() error {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = s.Shutdown(ctx)
	return nil
}

// statusWriter records the status code for the request counter.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush lets streaming handlers flush through the wrapper.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (s *Server) counted(endpoint string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		h(sw, r)
		if sw.code == 0 {
			sw.code = http.StatusOK
		}
		s.metrics.requests.WithLabelValues(endpoint, fmt.Sprint(sw.code)).Inc()
	}
}

func (s *Server) health(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if s.closing.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"status":"shutting down"}` + "\n"))
		return
	}
	_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
}

func (s *Server) models(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, map[string]any{
		"object": "list",
		"data": []map[string]any{{
			"id": s.cfg.Name, "object": "model", "created": s.created, "owned_by": "lbrx",
		}},
	})
}

// Device returns the device the model runs on.
func (s *Server) Device() core.Device { return s.cfg.Model.Device() }
