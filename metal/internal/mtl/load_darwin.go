package mtl

import (
	"fmt"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
)

// Library paths. With CGO_ENABLED=0 nothing links the frameworks, so they
// are opened before any class lookup (objc_getClass returns nil for a
// class whose framework is not loaded). CoreGraphics is opened because
// Apple documents that command-line programs must link it for
// MTLCreateSystemDefaultDevice to return a device.
const (
	libObjC        = "/usr/lib/libobjc.A.dylib"
	libSystem      = "/usr/lib/libSystem.B.dylib"
	fwFoundation   = "/System/Library/Frameworks/Foundation.framework/Foundation"
	fwCoreGraphics = "/System/Library/Frameworks/CoreGraphics.framework/CoreGraphics"
	fwMetal        = "/System/Library/Frameworks/Metal.framework/Metal"
)

var (
	msg     msgSendTable
	cfn     cFuncTable
	load    sync.Once
	errLoad error
)

// Load opens the frameworks, resolves the C functions, types objc_msgSend
// and registers the selectors and classes. It runs once; later calls
// return the first result. Every exported entry point calls it.
func Load() error {
	load.Do(func() {
		// purego panics on a signature it cannot call; on a Mac that must
		// surface as "Metal unavailable", not crash the program.
		defer func() {
			if r := recover(); r != nil {
				errLoad = fmt.Errorf("metal: binding Metal failed: %v", r)
			}
		}()
		errLoad = doLoad()
	})
	return errLoad
}

func doLoad() error {
	handles := map[string]uintptr{}
	for _, p := range []string{libObjC, libSystem, fwFoundation, fwCoreGraphics, fwMetal} {
		h, err := purego.Dlopen(p, purego.RTLD_NOW|purego.RTLD_GLOBAL)
		if err != nil {
			return fmt.Errorf("metal: open %s: %w", p, err)
		}
		handles[p] = h
	}
	sym := func(lib, name string) (uintptr, error) {
		a, err := purego.Dlsym(handles[lib], name)
		if err != nil {
			return 0, fmt.Errorf("metal: symbol %s in %s: %w", name, lib, err)
		}
		if a == 0 {
			return 0, fmt.Errorf("metal: symbol %s in %s is nil", name, lib)
		}
		return a, nil
	}
	send, err := sym(libObjC, "objc_msgSend")
	if err != nil {
		return err
	}
	msg.register(send)
	for _, f := range []struct {
		lib, name string
		fn        any
	}{
		{fwMetal, "MTLCreateSystemDefaultDevice", &cfn.createSystemDefaultDevice},
		{fwMetal, "MTLCopyAllDevices", &cfn.copyAllDevices},
		{libSystem, "dispatch_data_create", &cfn.dispatchDataCreate},
		{libSystem, "dispatch_release", &cfn.dispatchRelease},
		{libObjC, "objc_autoreleasePoolPush", &cfn.poolPush},
		{libObjC, "objc_autoreleasePoolPop", &cfn.poolPop},
	} {
		a, err := sym(f.lib, f.name)
		if err != nil {
			return err
		}
		purego.RegisterFunc(f.fn, a)
	}
	if err := registerSelectors(); err != nil {
		return err
	}
	return registerClasses()
}

// cFuncTable holds the C functions (not methods) lbrx calls.
type cFuncTable struct {
	// id<MTLDevice> MTLCreateSystemDefaultDevice(void), +1.
	createSystemDefaultDevice func() uintptr
	// NSArray<id<MTLDevice>> *MTLCopyAllDevices(void), +1 (macOS only).
	copyAllDevices func() uintptr
	// dispatch_data_t dispatch_data_create(const void*, size_t,
	// dispatch_queue_t, dispatch_block_t); a NULL destructor
	// (DISPATCH_DATA_DESTRUCTOR_DEFAULT) copies the bytes at once.
	dispatchDataCreate func(p unsafe.Pointer, n uint, queue, destructor uintptr) uintptr
	// void dispatch_release(dispatch_object_t).
	dispatchRelease func(obj uintptr)
	// void *objc_autoreleasePoolPush(void).
	poolPush func() uintptr
	// void objc_autoreleasePoolPop(void *).
	poolPop func(token uintptr)
}
