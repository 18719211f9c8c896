package core

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSetCPUThreads(t *testing.T) {
	defer SetCPUThreads(0)
	SetCPUThreads(1)
	require.Equal(t, 1, CPUThreads())
	SetCPUThreads(1 << 20)
	require.Equal(t, runtime.GOMAXPROCS(0), CPUThreads(), "capped at GOMAXPROCS")
	t.Setenv("LBRX_THREADS", "1")
	SetCPUThreads(0)
	require.Equal(t, 1, CPUThreads())
	require.NotEmpty(t, CPUKernel())
}
