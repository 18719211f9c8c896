package mtl

import (
	"unsafe"

	"testing"

	"github.com/stretchr/testify/require"
)

// TestMsgSendTableRegisters checks that purego accepts every typed
// objc_msgSend signature (purego validates argument kinds, struct layout
// and register use when a function is registered, and panics on what it
// cannot call). Registration only builds call stubs; nothing is called,
// so any non-zero address stands in for objc_msgSend off darwin.
func TestMsgSendTableRegisters(t *testing.T) {
	var tab msgSendTable
	fake := uintptr(1)
	require.NotPanics(t, func() { tab.register(fake) })
	require.NotNil(t, tab.voidSizeSize)
	require.NotNil(t, tab.idPtrUintUintPtr)
}

func TestSizeIsThreeNSUIntegers(t *testing.T) {
	// MTLSize is {NSUInteger width, height, depth}: 24 bytes on 64-bit.
	require.Equal(t, uintptr(24), unsafe.Sizeof(Size{}))
}

func TestStatusString(t *testing.T) {
	require.Equal(t, "completed", StatusString(StatusCompleted))
	require.Equal(t, "error", StatusString(StatusError))
	require.Equal(t, "unknown status", StatusString(99))
}
