package cuda

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWorkerRunsOnOneThreadAndRecovers(t *testing.T) {
	w, err := startWorker(func() error { return nil })
	require.NoError(t, err)
	n := 0
	for range 100 {
		require.NoError(t, w.do(func() error { n++; return nil }))
	}
	require.Equal(t, 100, n)
	require.ErrorContains(t, w.do(func() error { panic("boom") }), "boom")
	want := errors.New("x")
	require.ErrorIs(t, w.do(func() error { return want }), want)
	_, err = startWorker(func() error { return want })
	require.ErrorIs(t, err, want)
}

// BenchmarkWorkerHandoff: the cost of running an empty closure on the
// device thread and getting its result, the floor under every op.
func BenchmarkWorkerHandoff(b *testing.B) {
	w, err := startWorker(func() error { return nil })
	require.NoError(b, err)
	for range b.N {
		_ = w.do(func() error { return nil })
	}
}
