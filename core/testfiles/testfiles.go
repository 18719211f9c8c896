// Package testfiles locates the shared test data (files written by
// third-party tools) for lbrx's tests in every module (quant, models,
// integration and tools import it, so it cannot be internal to core). It
// is a test helper, not part of lbrx's API.
package testfiles

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the shared testdata directory: $LBRX_SHARED/testdata (or
// $LBRX_SHARED itself when it has no testdata folder) when LBRX_SHARED is
// set, else ../shared/testdata beside the directory holding
// go.work, found by walking up from the test's working directory. The test
// fails when it is missing: the data is part of the project's CI.
func Dir(t testing.TB) string {
	t.Helper()
	if s := os.Getenv("LBRX_SHARED"); s != "" {
		if _, err := os.Stat(filepath.Join(s, "testdata")); err == nil { //nolint:gosec // a test-data path the developer chose
			return filepath.Join(s, "testdata")
		}
		return s // LBRX_SHARED named the testdata directory itself
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.work")); err == nil {
			td := filepath.Join(filepath.Dir(d), "shared", "testdata")
			if _, err := os.Stat(td); err != nil {
				t.Fatalf("shared test data not found at %s (set LBRX_SHARED): %v", td, err)
			}
			return td
		}
		if filepath.Dir(d) == d {
			t.Fatalf("no go.work above %s: cannot locate shared test data (set LBRX_SHARED)", wd)
		}
	}
}

// Path joins elem onto Dir.
func Path(t testing.TB, elem ...string) string {
	t.Helper()
	return filepath.Join(append([]string{Dir(t)}, elem...)...)
}
