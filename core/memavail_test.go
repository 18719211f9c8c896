package core

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheckMemory(t *testing.T) {
	avail := AvailableMemory()
	if avail == 0 {
		t.Skipf("available memory unknown on %s", runtime.GOOS)
	}
	require.NoError(t, CheckMemory(1<<20, "a small buffer"))
	err := CheckMemory(avail+1<<40, "demo --size 1000000")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "demo --size 1000000 needs ")
	assert.Contains(t, err.Error(), "available")
	assert.NotContains(t, err.Error(), "\n")
}

func TestFormatBytes(t *testing.T) {
	assert.Equal(t, "512 B", FormatBytes(512))
	assert.Equal(t, "1.5 KiB", FormatBytes(1536))
	assert.Equal(t, "3.0 GiB", FormatBytes(3<<30))
}
