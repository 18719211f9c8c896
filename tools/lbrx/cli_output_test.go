package main

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core/testfiles"
)

// `lbrx logits --npy` never writes over an input, refuses an existing
// file unless --force, and writes to stdout for -.
func TestLogitsOutputRules(t *testing.T) {
	model := copyTinyLlama(t)
	weights := filepath.Join(model, "model.safetensors")
	orig, err := os.ReadFile(weights)
	require.NoError(t, err)
	base := []string{"logits", model, "--ids", "1,17,42", "--device", "cpu"}

	for _, force := range []bool{false, true} {
		for _, input := range []string{weights, filepath.Join(model, "config.json"), model} {
			args := append(append([]string{}, base...), "--npy", input)
			if force {
				args = append(args, "--force")
			}
			code, _, stderr := runBinary(t, args...)
			assert.Equal(t, 1, code, "%v: %s", args, stderr)
			assertOneLine(t, stderr, args)
		}
	}
	now, err := os.ReadFile(weights)
	require.NoError(t, err)
	require.True(t, bytes.Equal(orig, now), "the model file was written over")

	// A hard link to the model file is the model file.
	link := filepath.Join(t.TempDir(), "link.npy")
	require.NoError(t, os.Link(weights, link))
	code, _, stderr := runBinary(t, append(base, "--npy", link, "--force")...)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "is the input")

	out := filepath.Join(t.TempDir(), "l.npy")
	require.NoError(t, os.WriteFile(out, []byte("keep me"), 0o644))
	code, _, stderr = runBinary(t, append(base, "--npy", out)...)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, out+" already exists (use --force to overwrite it)")
	kept, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, "keep me", string(kept))
	code, stdout, stderr := runBinary(t, append(base, "--npy", out, "--force")...)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "wrote "+out)
	readLogitsShape(t, out, 3)

	code, stdout, stderr = runBinary(t, append(base, "--npy", "-")...)
	require.Equal(t, 0, code, stderr)
	assert.True(t, strings.HasPrefix(stdout, "\x93NUMPY"), "stdout holds the .npy bytes")
	assert.Contains(t, stderr, "wrote -: float32 logits [3 256]", "the report goes to stderr")
	p := filepath.Join(t.TempDir(), "from-stdout.npy")
	require.NoError(t, os.WriteFile(p, []byte(stdout), 0o644))
	readLogitsShape(t, p, 3)
}

func readLogitsShape(t *testing.T, path string, rows int) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(b[:128]), "'shape': ("+itoa(rows)+", 256)")
}

// generate prints why it stopped: the end-of-sequence token (the tiny
// model's greedy continuation of 1,17,42 is 79 then EOS 2), or the token
// limit.
func TestGeneratePrintsTheStopReason(t *testing.T) {
	model := testfiles.Path(t, "safetensors", "tiny-llama")
	args := []string{"generate", model, "--ids", "1,17,42", "--device", "cpu", "--max-tokens", "3"}
	code, stdout, stderr := runBinary(t, args...)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "ids: 79,2\n")
	assert.Contains(t, stdout, "stop: end-of-sequence token 2\n")
	code, stdout, stderr = runBinary(t, append(args, "--json")...)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, `"stop_reason":"eos"`)

	code, stdout, stderr = runBinary(t, append(args, "--ignore-eos")...)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "stop: --max-tokens 3 reached\n")
	code, stdout, stderr = runBinary(t, append(args, "--ignore-eos", "--json")...)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, `"stop_reason":"max_tokens"`)
}

// dump writes text with --format text and MLX-quantized weights
// dequantized, not as packed words.
func TestDumpTextAndQuantized(t *testing.T) {
	model := copyTinyLlama(t)
	const name = "model.layers.0.self_attn.q_proj.weight" // [64, 64]
	code, raw, stderr := runBinary(t, "dump", model, name)
	require.Equal(t, 0, code, stderr)
	require.Len(t, raw, 64*64*4)
	code, text, stderr := runBinary(t, "dump", "--format", "text", model, name)
	require.Equal(t, 0, code, stderr)
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	require.Len(t, lines, 64*64)
	want := floatsOf(t, []byte(raw))
	assert.Equal(t, formatG(want[5]), lines[5])

	q := filepath.Join(t.TempDir(), "q8")
	code, _, stderr = runBinary(t, "quantize", model, q, "--bits", "8", "--group-size", "32")
	require.Equal(t, 0, code, stderr)
	code, deq, stderr := runBinary(t, "dump", q, name)
	require.Equal(t, 0, code, stderr)
	require.Len(t, deq, 64*64*4, "the logical [64, 64] weight, not the [64, 16] packed words")
	got := floatsOf(t, []byte(deq))
	var worst float64
	for i := range want {
		worst = max(worst, math.Abs(float64(got[i]-want[i])))
	}
	assert.Less(t, worst, 0.01, "8-bit dequantized values are close to the originals")

	// Without config.json the bits are unknown: refused, with the reason.
	require.NoError(t, os.Remove(filepath.Join(q, "config.json")))
	code, _, stderr = runBinary(t, "dump", q, name)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "is MLX-quantized and cannot be dequantized")
	assertOneLine(t, stderr, nil)
}

// `lbrx quantize` checks DST before the work, never writes into SRC,
// replaces DST only with --force, and its output follows the umask.
func TestQuantizeDestinationRules(t *testing.T) {
	src := copyTinyLlama(t)
	dir := t.TempDir()
	dangling := filepath.Join(dir, "dangling")
	require.NoError(t, os.Symlink(filepath.Join(dir, "nowhere"), dangling))
	file := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	for _, c := range []struct {
		dst, msg string
		code     int
	}{
		{"", "DST is empty", 2},
		{dangling, "is a dangling symlink", 1},
		{file, "exists and is not a directory", 1},
		{src, "is SRC", 1},
		{filepath.Join(src, "sub"), "is SRC or inside it", 1},
		{filepath.Join(dir, "no", "such", "parent"), "does not exist", 1},
	} {
		for _, force := range []string{"--force=false", "--force"} {
			code, _, stderr := runBinary(t, "quantize", src, c.dst, force)
			assert.Equal(t, c.code, code, "%q %s: %s", c.dst, force, stderr)
			assert.Contains(t, stderr, c.msg, c.dst)
			assertOneLine(t, stderr, []string{c.dst})
		}
	}
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, ents, 2, "nothing written beside the bad destinations")

	// An existing DST is kept unless --force, which replaces it.
	dst := filepath.Join(dir, "out")
	require.NoError(t, os.Mkdir(dst, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dst, "old"), nil, 0o644))
	code, _, stderr := runBinary(t, "quantize", src, dst)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "already exists (quantize writes a new directory; use --force to replace it)")
	assert.FileExists(t, filepath.Join(dst, "old"))
	code, _, stderr = runBinary(t, "quantize", src, dst, "--force")
	require.Equal(t, 0, code, stderr)
	assert.NoFileExists(t, filepath.Join(dst, "old"))
	assert.FileExists(t, filepath.Join(dst, "model.safetensors"))

	// Modes follow the umask (not 0700 and 0600).
	for _, c := range []struct {
		umask     string
		dir, file os.FileMode
	}{{"002", 0o775, 0o664}, {"022", 0o755, 0o644}, {"077", 0o700, 0o600}} {
		out := filepath.Join(t.TempDir(), "q")
		cmd := exec.Command("sh", "-c", "umask "+c.umask+" && exec \"$0\" quantize \"$1\" \"$2\"", lbrxBinary(t), src, out)
		code, _, stderr := runBinaryIn(t, cmd)
		require.Equal(t, 0, code, stderr)
		st, err := os.Stat(out)
		require.NoError(t, err)
		assert.Equal(t, c.dir, st.Mode().Perm(), "DST with umask %s", c.umask)
		ents, err := os.ReadDir(out)
		require.NoError(t, err)
		for _, e := range ents {
			st, err := os.Stat(filepath.Join(out, e.Name()))
			require.NoError(t, err)
			assert.Equal(t, c.file, st.Mode().Perm(), "%s with umask %s", e.Name(), c.umask)
		}
	}
}

func formatG(v float32) string { return strconv.FormatFloat(float64(v), 'g', -1, 32) }

func floatsOf(t *testing.T, b []byte) []float32 {
	t.Helper()
	require.Zero(t, len(b)%4)
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}
