package core

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestHugeBroadcastIsAnErrorNotACrash(t *testing.T) {
	a, err := Zeros[float32](1_000_000, 1)
	require.NoError(t, err)
	b, err := Zeros[float32](1, 1_000_000)
	require.NoError(t, err)
	_, err = Add(a, b) // 4 TB result
	require.ErrorContains(t, err, "exceeds the host limit")

	old := SetMaxHostAlloc(1 << 10)
	defer SetMaxHostAlloc(old)
	_, err = Zeros[float32](257)
	require.ErrorContains(t, err, "exceeds the host limit of 1024 bytes")
	_, err = Zeros[float32](256)
	require.NoError(t, err)
}
