package llama

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// shared returns a path under the shared test data: $LBRX_SHARED/testdata
// (or $LBRX_SHARED itself) when set, else ../shared/testdata beside the
// directory holding go.work.
func shared(t testing.TB, elem ...string) string {
	t.Helper()
	if s := os.Getenv("LBRX_SHARED"); s != "" {
		if _, err := os.Stat(filepath.Join(s, "testdata")); err == nil {
			s = filepath.Join(s, "testdata")
		}
		return filepath.Join(append([]string{s}, elem...)...)
	}
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return filepath.Join(append([]string{dir, "..", "shared", "testdata"}, elem...)...)
		}
		parent := filepath.Dir(dir)
		require.NotEqual(t, parent, dir, "no go.work above the test directory (set LBRX_SHARED)")
		dir = parent
	}
}
