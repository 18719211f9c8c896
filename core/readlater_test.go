package core_test

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
)

// A read queued on the CPU holds the bytes of when it was queued, not
// what a later step writes into the same array.
func TestReadLaterKeepsQueuedBytes(t *testing.T) {
	x, err := core.FromSlice([]int32{7, -3}, 2)
	require.NoError(t, err)
	r, err := core.ReadLater(x.Array())
	require.NoError(t, err)
	require.False(t, core.ReadsLater(core.CPU()))
	b := binary.LittleEndian.AppendUint32(nil, 99)
	require.NoError(t, core.CPU().CopyFromHost(x.Array().Storage(), 0, b))
	got, err := r.Wait()
	require.NoError(t, err)
	require.Equal(t, []byte{7, 0, 0, 0, 0xfd, 0xff, 0xff, 0xff}, got)
	again, err := r.Wait()
	require.NoError(t, err)
	require.Equal(t, got, again)

	// A strided view reads its own elements.
	v, err := x.Array().Slice(0, 1, 2, 1)
	require.NoError(t, err)
	r, err = core.ReadLater(v)
	require.NoError(t, err)
	got, err = r.Wait()
	require.NoError(t, err)
	require.Equal(t, []byte{0xfd, 0xff, 0xff, 0xff}, got)

	_, err = core.ReadLater(nil)
	require.Error(t, err)
}
