package core

import (
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStrictModeRefusesFallback(t *testing.T) {
	x, err := FromSlice(arange(6), 2, 3)
	require.NoError(t, err)
	dx, err := x.To(testDevice)
	require.NoError(t, err)

	prev := SetStrict(true)
	defer SetStrict(prev)
	before := Fallbacks()["fake:0/add"]
	_, err = Add(dx, dx)
	require.ErrorIs(t, err, ErrFallback)
	require.ErrorIs(t, err, ErrUnsupported, "the device's own reason is kept")
	assert.Contains(t, err.Error(), "add on fake:0")
	assert.Equal(t, before, Fallbacks()["fake:0/add"], "nothing ran on the CPU")

	// The CPU itself is never a fallback.
	_, err = Add(x, x)
	require.NoError(t, err)

	SetStrict(false)
	_, err = Add(dx, dx)
	require.NoError(t, err)
	assert.Equal(t, before+1, Fallbacks()["fake:0/add"])
}

// LBRX_STRICT=1 turns strict mode on at start-up: the test re-runs itself
// in a child process with the variable set.
func TestStrictFromEnvironment(t *testing.T) {
	if os.Getenv("LBRX_STRICT_CHILD") == "1" {
		if !Strict() {
			t.Fatal("LBRX_STRICT=1 did not turn strict mode on")
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestStrictFromEnvironment$")
	cmd.Env = append(os.Environ(), "LBRX_STRICT=1", "LBRX_STRICT_CHILD=1")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
}
