// Package testfiles locates the shared test data (files written by
// third-party tools) for lbrx's tests in every module (quant, models,
// integration and tools import it, so it cannot be internal to core). It
// is a test helper, not part of lbrx's API.
//
// The data lives outside the repository, in a folder shared/testdata
// beside the checkout (../shared from the directory holding go.work), or
// wherever LBRX_SHARED points. A clone without it still has a passing
// test command: the tests that need the data skip, naming the missing
// folder. CI sets LBRX_REQUIRE_SHARED=1, which turns those skips into
// failures, so that missing data never passes unnoticed there.
package testfiles

import (
	"os"
	"path/filepath"
	"testing"
)

// RequireEnv is the environment variable that makes missing shared data
// a test failure instead of a skip.
const RequireEnv = "LBRX_REQUIRE_SHARED"

// Dir returns the shared testdata directory: $LBRX_SHARED/testdata (or
// $LBRX_SHARED itself when it has no testdata folder) when LBRX_SHARED is
// set, else ../shared/testdata beside the directory holding go.work,
// found by walking up from the test's working directory. When it is
// missing the test is skipped with a message naming the folder, or fails
// when LBRX_REQUIRE_SHARED=1.
func Dir(t testing.TB) string {
	t.Helper()
	if s := os.Getenv("LBRX_SHARED"); s != "" {
		if _, err := os.Stat(filepath.Join(s, "testdata")); err == nil { //nolint:gosec // a test-data path the developer chose
			return filepath.Join(s, "testdata")
		}
		if _, err := os.Stat(s); err != nil { //nolint:gosec // as above
			missing(t, s, "LBRX_SHARED names it")
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
				missing(t, td, "the folder shared/testdata beside the checkout")
			}
			return td
		}
		if filepath.Dir(d) == d {
			missing(t, filepath.Join(wd, "..", "shared", "testdata"), "no go.work above "+wd+" to find it from")
			return ""
		}
	}
}

// missing skips the test, or fails it under LBRX_REQUIRE_SHARED=1.
func missing(t testing.TB, dir, why string) {
	t.Helper()
	const how = "see README.md, Tests: put the shared data there or set LBRX_SHARED"
	if os.Getenv(RequireEnv) == "1" {
		t.Fatalf("shared test data missing: %s (%s); %s=1 makes this a failure; %s", dir, why, RequireEnv, how)
	}
	t.Skipf("shared test data not found at %s (%s); %s", dir, why, how)
}

// Path joins elem onto Dir.
func Path(t testing.TB, elem ...string) string {
	t.Helper()
	return filepath.Join(append([]string{Dir(t)}, elem...)...)
}
