package testfiles

import (
	"fmt"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
)

// recorder is a testing.TB that records how Dir ended the test.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper() {}

func (r *recorder) Skipf(format string, a ...any) {
	r.skipped = fmt.Sprintf(format, a...)
	runtime.Goexit()
}

func (r *recorder) Fatalf(format string, a ...any) {
	r.failed = fmt.Sprintf(format, a...)
	runtime.Goexit()
}

// dirWith runs Dir as a test would, on its own goroutine since Skipf and
// Fatalf end it.
func dirWith(t *testing.T) (dir string, r *recorder) {
	r = &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		dir = Dir(r)
	}()
	<-done
	return dir, r
}

func TestMissingDataSkipsOrFails(t *testing.T) {
	gone := filepath.Join(t.TempDir(), "no-such-shared")
	t.Setenv("LBRX_SHARED", gone)

	t.Setenv(RequireEnv, "")
	_, r := dirWith(t)
	assert.Contains(t, r.skipped, "shared test data not found at "+gone)
	assert.Contains(t, r.skipped, "LBRX_SHARED")
	assert.Empty(t, r.failed)

	t.Setenv(RequireEnv, "1")
	_, r = dirWith(t)
	assert.Contains(t, r.failed, "shared test data missing: "+gone)
	assert.Contains(t, r.failed, "LBRX_REQUIRE_SHARED=1 makes this a failure")
	assert.Empty(t, r.skipped)
}

func TestFoundData(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("LBRX_SHARED", dir)
	got, r := dirWith(t)
	assert.Empty(t, r.skipped+r.failed)
	assert.Equal(t, dir, got, "LBRX_SHARED naming the testdata folder itself")
}
