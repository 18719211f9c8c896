package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/core/testfiles"
)

// assertOneLine checks an error report: exactly one line on stderr.
func assertOneLine(t *testing.T, stderr string, args []string) {
	t.Helper()
	assert.Equal(t, 1, strings.Count(stderr, "\n"), "%v: one line expected, got %q", args, stderr)
	assert.NotContains(t, stderr, "goroutine", "%v: a Go stack trace", args)
}

// Usage errors exit 2 in every command: an unknown flag, a bad flag value,
// the wrong number of arguments, an unknown device.
func TestUsageErrorsExit2Everywhere(t *testing.T) {
	model := "model-that-need-not-exist"
	for _, args := range [][]string{
		{"frobnicate"},
		{"devices", "extra"},
		{"demo", "--size", "0"},
		{"demo", "--bogus"},
		{"inspect"},
		{"dump", "only-a-path"},
		{"logits", model, "--ids", "1", "--npy", "x.npy", "extra"},
		{"generate", model},
		{"quantize", "src"},
		{"quantize", "src", "dst", "--bits", "7"},
		{"bench"},
		{"bench", "nosuch"},
		{"bench", "matmul", "--threads", "0"},
		{"bench", "qmv", "--threads", "-3"},
		{"generate", model, "--ids", "1", "--temperature", "-0.5"},
		{"generate", model, "--ids", "1", "--top-p", "0"},
		{"generate", model, "--ids", "1", "--top-p", "1.5"},
		// An unknown device, in every command that takes one.
		{"demo", "--device", "tpu"},
		{"logits", model, "--ids", "1", "--npy", "x.npy", "--device", "tpu"},
		{"generate", model, "--ids", "1", "--device", "tpu"},
		{"bench", "matmul", "--device", "tpu"},
		{"bench", "qmv", "--device", "tpu"},
	} {
		code, stdout, stderr := runBinary(t, args...)
		assert.Equal(t, 2, code, "%v: %s", args, stderr)
		assert.Empty(t, stdout, args)
		assert.True(t, strings.HasPrefix(stderr, "lbrx"), "%v: %q", args, stderr)
		assertOneLine(t, stderr, args)
	}
}

// A missing or unusable input is a runtime error, exit 1, the same in
// every command, with a message naming the path.
func TestInputErrorsExit1Everywhere(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing")
	textGGUF := filepath.Join(dir, "notes.gguf")
	require.NoError(t, os.WriteFile(textGGUF, []byte("these are my notes, not a model\n"), 0o644))
	textST := filepath.Join(dir, "notes.safetensors")
	require.NoError(t, os.WriteFile(textST, []byte("these are my notes, not a model\n"), 0o644))
	empty := filepath.Join(dir, "emptydir")
	require.NoError(t, os.Mkdir(empty, 0o755))
	out := filepath.Join(dir, "out")
	for _, tc := range []struct {
		path, msg string
	}{
		{missing, missing + ": no such file or directory"},
		{textGGUF, textGGUF + " is not a GGUF file"},
		{textST, textST + " is not a safetensors file"},
		{empty, empty + " is a directory without .safetensors files"},
	} {
		for _, args := range [][]string{
			{"inspect", tc.path},
			{"dump", tc.path, "x", "--format", "text"},
			{"logits", tc.path, "--ids", "1", "--npy", filepath.Join(dir, "l.npy"), "--device", "cpu"},
			{"generate", tc.path, "--ids", "1", "--device", "cpu"},
			{"quantize", tc.path, out},
		} {
			code, _, stderr := runBinary(t, args...)
			assert.Equal(t, 1, code, "%v: %s", args, stderr)
			assert.Contains(t, stderr, tc.msg, args)
			assertOneLine(t, stderr, args)
		}
	}
	assert.NoFileExists(t, filepath.Join(dir, "l.npy"))
	assert.NoDirExists(t, out)
}

// A GGUF file given where a safetensors model is needed says what is
// needed; logits and generate run GGUF models and say why a GGUF that is
// no model cannot run; inspect and dump read it.
func TestGGUFWhereAModelDirectoryIsNeeded(t *testing.T) {
	g := testfiles.Path(t, "gguf", "ggml_reference.gguf")
	code, _, stderr := runBinary(t, "quantize", g, filepath.Join(t.TempDir(), "q"))
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, g+" is a GGUF file; this command needs a safetensors model (a directory with config.json and *.safetensors")
	assertOneLine(t, stderr, []string{"quantize"})
	for _, args := range [][]string{
		{"logits", g, "--ids", "1", "--npy", filepath.Join(t.TempDir(), "l.npy"), "--device", "cpu"},
		{"generate", g, "--ids", "1", "--device", "cpu"},
	} {
		code, _, stderr := runBinary(t, args...)
		assert.Equal(t, 1, code, args)
		assert.Contains(t, stderr, `key "general.architecture" = "test": not an architecture lbrx runs from GGUF`, args)
		assertOneLine(t, stderr, args)
	}
	code, _, stderr = runBinary(t, "inspect", g)
	assert.Equal(t, 0, code, stderr)
}

func TestUnreadableDirectorySaysPermissionDenied(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads every directory: permissions cannot be tested as root")
	}
	d := filepath.Join(t.TempDir(), "locked")
	require.NoError(t, os.Mkdir(d, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(d, "model.safetensors"), nil, 0o644))
	require.NoError(t, os.Chmod(d, 0o000))
	defer func() { _ = os.Chmod(d, 0o755) }()
	for _, args := range [][]string{
		{"inspect", d},
		{"logits", d, "--ids", "1", "--npy", filepath.Join(t.TempDir(), "l.npy"), "--device", "cpu"},
		{"quantize", d, filepath.Join(t.TempDir(), "q")},
	} {
		code, _, stderr := runBinary(t, args...)
		assert.Equal(t, 1, code, args)
		assert.Contains(t, stderr, d+": permission denied", args)
		assertOneLine(t, stderr, args)
	}
}

// Sizes the machine cannot hold fail before anything is allocated, with
// one line, exit 1 (not a Go out-of-memory crash, not a machine in swap).
func TestHugeSizesFailWithOneLine(t *testing.T) {
	for _, c := range []struct {
		args []string
		need uint64
	}{
		{[]string{"demo", "--size", "100000", "--device", "cpu"}, demoArrays * 4 * 100000 * 100000},
		{[]string{"bench", "qmv", "--rows", "131072", "--cols", "131072"}, 7 * 131072 * 131072},
	} {
		if avail := core.AvailableMemory(); avail == 0 || avail >= c.need {
			t.Logf("%v: not run: this machine has %d bytes available (unknown if 0), the command needs %d", c.args, avail, c.need)
			continue
		}
		code, _, stderr := runBinary(t, c.args...)
		assert.Equal(t, 1, code, "%v: %s", c.args, stderr)
		assert.Regexp(t, `^lbrx: .* needs [0-9.]+ [KMGT]iB of memory, only [0-9.]+ [KMGT]iB is available\n$`, stderr, c.args)
	}
}

// On the CPU the demo checks its results against a float64 reference
// computed apart from every lbrx kernel, and says so.
func TestDemoChecksTheCPUAgainstAFloat64Reference(t *testing.T) {
	code, stdout, stderr := runBinary(t, "demo", "--size", "70", "--device", "cpu", "--reps", "1")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "reference: float64 on the host, 64 of 70 rows")
	assert.Contains(t, stdout, "parity:    ok (cpu matches the float64 reference)")
}
