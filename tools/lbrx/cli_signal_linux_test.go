package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/core/safetensors"
)

// openPTY opens a pseudo-terminal and returns its terminal end.
func openPTY(t *testing.T) *os.File {
	t.Helper()
	ptm, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal to test with: %v", err)
	}
	t.Cleanup(func() { _ = ptm.Close() })
	require.NoError(t, unix.IoctlSetPointerInt(int(ptm.Fd()), unix.TIOCSPTLCK, 0))
	n, err := unix.IoctlGetInt(int(ptm.Fd()), unix.TIOCGPTN)
	require.NoError(t, err)
	pts, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	require.NoError(t, err)
	t.Cleanup(func() { _ = pts.Close() })
	return pts
}

// dump refuses to write binary to a terminal; text is fine.
func TestDumpRefusesBinaryToATerminal(t *testing.T) {
	tty := openPTY(t)
	model := copyTinyLlama(t)
	var errb strings.Builder
	cmd := exec.Command(lbrxBinary(t), "dump", model, "model.norm.weight")
	cmd.Stdout, cmd.Stderr = tty, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, 2, ee.ExitCode())
	assert.Equal(t, "lbrx dump: refusing to write binary float32 to a terminal (redirect it to a file or a pipe, or use --format text)\n", errb.String())

	errb.Reset()
	cmd = exec.Command(lbrxBinary(t), "dump", "--format", "text", model, "model.norm.weight")
	cmd.Stdout, cmd.Stderr = tty, &errb
	require.NoError(t, cmd.Run(), errb.String())
}

// bigModel writes a float32 model large enough that quantizing it takes a
// while (a config.json beside 4 tensors of 1024×4096).
func bigModel(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "big")
	require.NoError(t, os.Mkdir(dir, 0o755))
	w := safetensors.NewWriter()
	vals := make([]float32, 1024*4096)
	for i := range vals {
		vals[i] = float32(i%251) / 251
	}
	for i := range 4 {
		x, err := core.FromSlice(vals, 1024, 4096)
		require.NoError(t, err)
		require.NoError(t, w.Add(fmt.Sprintf("model.layers.%d.mlp.up_proj.weight", i), x.Array()))
	}
	require.NoError(t, w.WriteFile(filepath.Join(dir, "model.safetensors")))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"model_type": "llama"}`), 0o644))
	return dir
}

// Ctrl-C (SIGINT) or SIGTERM while quantizing removes the temporary
// directory; no DST appears.
func TestQuantizeCleansUpOnSignal(t *testing.T) {
	src := bigModel(t)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		parent := t.TempDir()
		dst := filepath.Join(parent, "out")
		cmd := exec.Command(lbrxBinary(t), "quantize", src, dst, "--bits", "4", "--group-size", "32")
		var errb strings.Builder
		cmd.Stderr = &errb
		require.NoError(t, cmd.Start())
		// Wait until the temporary directory exists, then signal.
		deadline := time.Now().Add(30 * time.Second)
		for {
			ents, _ := os.ReadDir(parent)
			if len(ents) > 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(time.Millisecond)
		}
		require.NoError(t, cmd.Process.Signal(sig))
		err := cmd.Wait()
		var ee *exec.ExitError
		require.ErrorAs(t, err, &ee, "quantize finished before the signal: %s", errb.String())
		assert.Equal(t, 128+int(sig), ee.ExitCode(), errb.String())
		assert.Contains(t, errb.String(), "stopped; removed the partial output")
		ents, err := os.ReadDir(parent)
		require.NoError(t, err)
		assert.Empty(t, ents, "after %v: no temporary directory and no DST", sig)
	}
}

// Temporaries left by a run that died (SIGKILL cannot be caught) are
// removed by the next run; those of a live process are left alone.
func TestQuantizeRemovesStaleTemporaries(t *testing.T) {
	src := copyTinyLlama(t)
	parent := t.TempDir()
	dead := exec.Command("true")
	require.NoError(t, dead.Run())
	stale := filepath.Join(parent, fmt.Sprintf(".out.tmp-%d-abc", dead.Process.Pid))
	live := filepath.Join(parent, fmt.Sprintf(".out.tmp-%d-def", os.Getpid()))
	other := filepath.Join(parent, fmt.Sprintf(".other.tmp-%d-abc", dead.Process.Pid))
	for _, d := range []string{stale, live, other} {
		require.NoError(t, os.Mkdir(d, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(d, "model.safetensors"), []byte("partial"), 0o644))
	}
	code, _, stderr := runBinary(t, "quantize", src, filepath.Join(parent, "out"))
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "removed "+stale+", left behind by an earlier run")
	assert.NoDirExists(t, stale)
	assert.DirExists(t, live, "its process still runs")
	assert.DirExists(t, other, "another DST's temporary")
}
