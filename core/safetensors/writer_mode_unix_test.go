//go:build unix

package safetensors

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
)

// Written files get the mode os.Create would give them: 0666 less the
// umask (not CreateTemp's 0600, nor a fixed 0644).
func TestWrittenFilesFollowUmask(t *testing.T) {
	x, err := core.FromSlice([]float32{1, 2}, 2)
	require.NoError(t, err)
	for _, c := range []struct {
		umask int
		want  os.FileMode
	}{{0o002, 0o664}, {0o077, 0o600}, {0o022, 0o644}} {
		old := syscall.Umask(c.umask)
		w := NewWriter()
		require.NoError(t, w.Add("x", x.Array()))
		dir := t.TempDir()
		p := filepath.Join(dir, "m.safetensors")
		err := w.WriteFile(p)
		errSharded := w.WriteSharded(filepath.Join(dir, "sharded"), 1<<20)
		syscall.Umask(old)
		require.NoError(t, err)
		require.NoError(t, errSharded)
		st, err := os.Stat(p)
		require.NoError(t, err)
		assert.Equal(t, c.want, st.Mode().Perm(), "umask %04o", c.umask)
		st, err = os.Stat(filepath.Join(dir, "sharded"))
		require.NoError(t, err)
		assert.Equal(t, c.want|0o111&^os.FileMode(c.umask), st.Mode().Perm(), "directory, umask %04o", c.umask)
	}
}
