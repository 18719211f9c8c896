//go:build linux && amd64

package mtl

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"unsafe"

	"github.com/ebitengine/purego"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// C stand-ins for the Objective-C methods lbrx sends, with the same C
// signatures as the methods' implementations (self, _cmd, args...). Each
// records what it received. x86-64 macOS uses the same System V calling
// convention as Linux for these argument kinds (integers, pointers, BOOL
// and a 24-byte struct of integers passed in memory), so calling them
// through the typed msgSend table checks, without a Mac, that the Go
// signatures and the MTLSize layout marshal as Metal expects on
// darwin/amd64. objc_msgSend itself only forwards the registers and stack.
const abiC = `
#include <stdint.h>
#include <string.h>
typedef struct { unsigned long w, h, d; } MTLSize;
static uintptr_t g_self, g_cmd; static MTLSize g_a, g_b;
static const void *g_ptr; static unsigned long g_u1, g_u2; static uintptr_t g_u3;
void dispatch(uintptr_t self, uintptr_t cmd, MTLSize a, MTLSize b) { g_self = self; g_cmd = cmd; g_a = a; g_b = b; }
void got_sizes(MTLSize *a, MTLSize *b, uintptr_t *self, uintptr_t *cmd) { *a = g_a; *b = g_b; *self = g_self; *cmd = g_cmd; }
uintptr_t nocopy(uintptr_t self, uintptr_t cmd, const void *p, unsigned long n, unsigned long opts, uintptr_t dealloc) {
	g_ptr = p; g_u1 = n; g_u2 = opts; g_u3 = dealloc; return 0xabc0;
}
void got_nocopy(const void **p, unsigned long *n, unsigned long *opts, uintptr_t *dealloc) { *p = g_ptr; *n = g_u1; *opts = g_u2; *dealloc = g_u3; }
uintptr_t with_error(uintptr_t self, uintptr_t cmd, uintptr_t arg, uintptr_t *err) { *err = arg + 1; return 0; }
signed char supports(uintptr_t self, uintptr_t cmd, long family) { return family == 1007 ? 1 : 0; }
void set_bytes(uintptr_t self, uintptr_t cmd, const void *p, unsigned long n, unsigned long idx) { g_ptr = p; g_u1 = n; g_u2 = idx; }
`

func TestTypedMsgSendABI(t *testing.T) {
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("needs gcc to build the C stand-ins")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "abi.c")
	lib := filepath.Join(dir, "libabi.so")
	require.NoError(t, os.WriteFile(src, []byte(abiC), 0o600))
	out, err := exec.Command(gcc, "-shared", "-fPIC", "-O1", "-o", lib, src).CombinedOutput()
	require.NoError(t, err, string(out))
	h, err := purego.Dlopen(lib, purego.RTLD_NOW|purego.RTLD_LOCAL)
	require.NoError(t, err)
	defer func() { _ = purego.Dlclose(h) }()
	sym := func(name string) uintptr {
		a, err := purego.Dlsym(h, name)
		require.NoError(t, err)
		return a
	}

	// dispatchThreadgroups:threadsPerThreadgroup: with two MTLSize by value.
	var tab msgSendTable
	purego.RegisterFunc(&tab.voidSizeSize, sym("dispatch"))
	var gotSizes func(a, b *Size, self, cmd *uintptr)
	purego.RegisterFunc(&gotSizes, sym("got_sizes"))
	tab.voidSizeSize(0x1111, 0x2222, Size{Width: 3, Height: 5, Depth: 7}, Size{Width: 256, Height: 1, Depth: 1 << 40})
	var a, b Size
	var self, cmd uintptr
	gotSizes(&a, &b, &self, &cmd)
	assert.Equal(t, Size{Width: 3, Height: 5, Depth: 7}, a)
	assert.Equal(t, Size{Width: 256, Height: 1, Depth: 1 << 40}, b)
	assert.Equal(t, uintptr(0x1111), self)
	assert.Equal(t, uintptr(0x2222), cmd)

	// newBufferWithBytesNoCopy:length:options:deallocator: (6 arguments).
	purego.RegisterFunc(&tab.idPtrUintUintPtr, sym("nocopy"))
	var gotNoCopy func(p *unsafe.Pointer, n, opts *uint, dealloc *uintptr)
	purego.RegisterFunc(&gotNoCopy, sym("got_nocopy"))
	mem := make([]byte, 64)
	id := tab.idPtrUintUintPtr(1, 2, unsafe.Pointer(&mem[0]), 16384, ResourceStorageModeShared, 0)
	assert.Equal(t, uintptr(0xabc0), id)
	var p unsafe.Pointer
	var n, opts uint
	var dealloc uintptr
	gotNoCopy(&p, &n, &opts, &dealloc)
	assert.Equal(t, unsafe.Pointer(&mem[0]), p)
	assert.Equal(t, uint(16384), n)
	assert.Equal(t, ResourceStorageModeShared, opts)
	assert.Zero(t, dealloc)

	// An NSError** out-parameter written by the callee.
	purego.RegisterFunc(&tab.idIDErr, sym("with_error"))
	var e uintptr
	assert.Zero(t, tab.idIDErr(1, 2, 41, &e))
	assert.Equal(t, uintptr(42), e)

	// BOOL (signed char) returns read from the low byte.
	purego.RegisterFunc(&tab.boolInt, sym("supports"))
	assert.True(t, tab.boolInt(1, 2, GPUFamilyApple7))
	assert.False(t, tab.boolInt(1, 2, 1006))

	// setBytes:length:atIndex:.
	purego.RegisterFunc(&tab.voidPtrUintUint, sym("set_bytes"))
	params := []byte{1, 2, 3, 4}
	tab.voidPtrUintUint(1, 2, unsafe.Pointer(&params[0]), 4, 5)
	gotNoCopy(&p, &n, &opts, &dealloc)
	assert.Equal(t, unsafe.Pointer(&params[0]), p)
	assert.Equal(t, uint(4), n)
	assert.Equal(t, uint(5), opts)
}
