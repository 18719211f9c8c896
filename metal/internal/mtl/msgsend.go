package mtl

import (
	"unsafe"

	"github.com/ebitengine/purego"
)

// msgSendTable holds objc_msgSend typed for each call shape lbrx sends.
// purego builds each function once (reflection happens in RegisterFunc,
// not per call). Receivers and selectors are plain uintptrs here so that
// the table, and purego's acceptance of every signature, can be checked on
// any OS; the darwin wrappers convert objc.ID and objc.SEL to them.
type msgSendTable struct {
	// id(id, SEL): property getters and new*/commandBuffer style calls.
	id func(recv, sel uintptr) uintptr
	// id(id, SEL, id): retain-free single object argument (objectAtIndex:
	// takes an NSUInteger, see idUint).
	idID func(recv, sel, arg uintptr) uintptr
	// id(id, SEL, NSUInteger): objectAtIndex:.
	idUint func(recv, sel uintptr, arg uint) uintptr
	// id(id, SEL, NSUInteger, MTLResourceOptions): newBufferWithLength:options:.
	idUintUint func(recv, sel uintptr, n, opts uint) uintptr
	// id(id, SEL, void*, NSUInteger, MTLResourceOptions, block):
	// newBufferWithBytesNoCopy:length:options:deallocator:.
	idPtrUintUintPtr func(recv, sel uintptr, p unsafe.Pointer, n, opts uint, dealloc uintptr) uintptr
	// id(id, SEL, id, NSError**): newLibraryWithData:error:,
	// newComputePipelineStateWithFunction:error:.
	idIDErr func(recv, sel, arg uintptr, err *uintptr) uintptr
	// id(id, SEL, id, id, NSError**): newLibraryWithSource:options:error:.
	idIDIDErr func(recv, sel, a, b uintptr, err *uintptr) uintptr
	// id(id, SEL, char*): initWithUTF8String:.
	idStr func(recv, sel uintptr, s string) uintptr
	// NSUInteger(id, SEL): length, count, status, maxBufferLength, ...
	uint func(recv, sel uintptr) uint
	// uint64_t(id, SEL): recommendedMaxWorkingSetSize.
	u64 func(recv, sel uintptr) uint64
	// NSInteger(id, SEL): NSError code.
	int func(recv, sel uintptr) int
	// BOOL(id, SEL): hasUnifiedMemory.
	bool func(recv, sel uintptr) bool
	// BOOL(id, SEL, NSInteger): supportsFamily:.
	boolInt func(recv, sel uintptr, arg int) bool
	// BOOL(id, SEL, SEL): respondsToSelector:.
	boolSel func(recv, sel, arg uintptr) bool
	// void*(id, SEL): contents, UTF8String.
	ptr func(recv, sel uintptr) unsafe.Pointer
	// void(id, SEL): commit, waitUntilCompleted, endEncoding, release.
	void func(recv, sel uintptr)
	// void(id, SEL, id): setComputePipelineState:.
	voidID func(recv, sel, arg uintptr)
	// void(id, SEL, BOOL): setFastMathEnabled:.
	voidBool func(recv, sel uintptr, arg bool)
	// void(id, SEL, NSUInteger): setLanguageVersion:.
	voidUint func(recv, sel uintptr, arg uint)
	// void(id, SEL, id, NSUInteger, NSUInteger): setBuffer:offset:atIndex:.
	voidIDUintUint func(recv, sel, buf uintptr, off, idx uint)
	// void(id, SEL, const void*, NSUInteger, NSUInteger): setBytes:length:atIndex:.
	voidPtrUintUint func(recv, sel uintptr, p unsafe.Pointer, n, idx uint)
	// void(id, SEL, NSUInteger, NSUInteger): setThreadgroupMemoryLength:atIndex:.
	voidUintUint func(recv, sel uintptr, n, idx uint)
	// void(id, SEL, MTLSize, MTLSize): dispatchThreadgroups:threadsPerThreadgroup:,
	// both sizes by value (a pointer here would compile and launch garbage).
	voidSizeSize func(recv, sel uintptr, groups, perGroup Size)
}

// register types every entry of t against fn, the address of objc_msgSend.
// purego panics on a signature it cannot call; that happens here, once,
// and the Linux test of this table catches it without a Mac.
func (t *msgSendTable) register(fn uintptr) {
	purego.RegisterFunc(&t.id, fn)
	purego.RegisterFunc(&t.idID, fn)
	purego.RegisterFunc(&t.idUint, fn)
	purego.RegisterFunc(&t.idUintUint, fn)
	purego.RegisterFunc(&t.idPtrUintUintPtr, fn)
	purego.RegisterFunc(&t.idIDErr, fn)
	purego.RegisterFunc(&t.idIDIDErr, fn)
	purego.RegisterFunc(&t.idStr, fn)
	purego.RegisterFunc(&t.uint, fn)
	purego.RegisterFunc(&t.u64, fn)
	purego.RegisterFunc(&t.int, fn)
	purego.RegisterFunc(&t.bool, fn)
	purego.RegisterFunc(&t.boolInt, fn)
	purego.RegisterFunc(&t.boolSel, fn)
	purego.RegisterFunc(&t.ptr, fn)
	purego.RegisterFunc(&t.void, fn)
	purego.RegisterFunc(&t.voidID, fn)
	purego.RegisterFunc(&t.voidBool, fn)
	purego.RegisterFunc(&t.voidUint, fn)
	purego.RegisterFunc(&t.voidIDUintUint, fn)
	purego.RegisterFunc(&t.voidPtrUintUint, fn)
	purego.RegisterFunc(&t.voidUintUint, fn)
	purego.RegisterFunc(&t.voidSizeSize, fn)
}
