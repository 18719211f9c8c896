package serve

import (
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core/testfiles"
	"github.com/lbrx/lbrx/models/llama"
	"github.com/lbrx/lbrx/serve/servetest"
	"github.com/lbrx/lbrx/text/chat"
	"github.com/lbrx/lbrx/text/tokenizer"
)

// testModelDir makes a servable model directory (servetest.ModelDir on
// testdata's tiny-llama).
func testModelDir(t testing.TB) string {
	dir := t.TempDir()
	require.NoError(t, servetest.ModelDir(testfiles.Path(t, "safetensors", "tiny-llama"), dir))
	return dir
}

// testServer starts a Server on the tiny model behind an httptest server
// on 127.0.0.1; cfg's model, tokenizer and template are filled in.
func testServer(t testing.TB, cfg Config) (*Server, *httptest.Server) {
	dir := testModelDir(t)
	m, err := llama.Load(dir, llama.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = m.Close() })
	tk, err := tokenizer.Load(dir)
	require.NoError(t, err)
	tmpl, err := chat.Load(dir)
	require.NoError(t, err)
	cfg.Model, cfg.Tokenizer, cfg.Template = m, tk, tmpl
	if cfg.Name == "" {
		cfg.Name = "tiny-llama"
	}
	s, err := New(cfg)
	require.NoError(t, err)
	hs := httptest.NewServer(s)
	t.Cleanup(func() {
		hs.Close()
		_ = s.Close()
	})
	return s, hs
}
