package mtl

import (
	"errors"
	"fmt"
	"unsafe"
)

// Library is an owned reference to an id<MTLLibrary>.
type Library struct{ id uintptr }

// Release gives up the reference.
func (l Library) Release() { release(l.id) }

// Valid reports whether l refers to a library.
func (l Library) Valid() bool { return l.id != 0 }

// NewLibraryWithData loads a compiled .metallib held in memory. The bytes
// are copied into a dispatch_data object (NULL destructor means "copy
// now"), so b may be Go memory.
func (d Device) NewLibraryWithData(b []byte) (Library, error) {
	if len(b) == 0 {
		return Library{}, errors.New("metal: newLibraryWithData: empty metallib")
	}
	var lib Library
	err := WithPool(func() error {
		data := cfn.dispatchDataCreate(unsafe.Pointer(&b[0]), uint(len(b)), 0, 0)
		if data == 0 {
			return fmt.Errorf("metal: dispatch_data_create of %d bytes returned nil", len(b))
		}
		defer cfn.dispatchRelease(data)
		var e uintptr
		id := msg.idIDErr(d.id, selNewLibraryWithData, data, &e)
		if id == 0 {
			return nsError("newLibraryWithData:error: (embedded metallib)", e)
		}
		lib.id = id
		return nil
	})
	return lib, err
}

// CompileOptions are the MTLCompileOptions lbrx sets for run-time
// compilation.
type CompileOptions struct {
	// LanguageVersion is an MTLLanguageVersion (LanguageVersion3_0, ...);
	// 0 leaves Metal's default, the newest the OS supports.
	LanguageVersion uint
}

// NewLibraryWithSource compiles MSL source at run time with fast math off
// (IEEE-conforming results, matching the CPU reference and the offline
// -fno-fast-math build). Compiler diagnostics come back in the error.
func (d Device) NewLibraryWithSource(src string, o CompileOptions) (Library, error) {
	if src == "" {
		return Library{}, errors.New("metal: newLibraryWithSource: empty source")
	}
	var lib Library
	err := WithPool(func() error {
		opts := msg.id(msg.id(classCompileOptions, selAlloc), selInit) // +1
		if opts == 0 {
			return errors.New("metal: MTLCompileOptions alloc/init returned nil")
		}
		defer release(opts)
		msg.voidBool(opts, selSetFastMath, false)
		// setMathMode: (macOS 15+) supersedes fastMathEnabled; Safe is 0.
		if msg.boolSel(opts, selRespondsToSelector, selSetMathMode) {
			msg.voidUint(opts, selSetMathMode, 0)
		}
		if o.LanguageVersion != 0 {
			msg.voidUint(opts, selSetLanguageVersion, o.LanguageVersion)
		}
		s, err := newNSString(src)
		if err != nil {
			return err
		}
		defer release(s)
		var e uintptr
		id := msg.idIDIDErr(d.id, selNewLibraryWithSrc, s, opts, &e)
		if id == 0 {
			return nsError("newLibraryWithSource:options:error: (embedded MSL)", e)
		}
		lib.id = id
		return nil
	})
	return lib, err
}

// Function is an owned reference to an id<MTLFunction>.
type Function struct{ id uintptr }

// Release gives up the reference.
func (f Function) Release() { release(f.id) }

// NewFunction looks a kernel up by name.
func (l Library) NewFunction(name string) (Function, error) {
	var f Function
	err := WithPool(func() error {
		s, err := newNSString(name)
		if err != nil {
			return err
		}
		defer release(s)
		id := msg.idID(l.id, selNewFunctionWithName, s)
		if id == 0 {
			return fmt.Errorf("metal: kernel %q is not in the library", name)
		}
		f.id = id
		return nil
	})
	return f, err
}

// Pipeline is an owned reference to an id<MTLComputePipelineState>.
type Pipeline struct{ id uintptr }

// Release gives up the reference.
func (p Pipeline) Release() { release(p.id) }

// Valid reports whether p refers to a pipeline.
func (p Pipeline) Valid() bool { return p.id != 0 }

// NewPipeline builds a compute pipeline for f; name labels errors.
func (d Device) NewPipeline(f Function, name string) (Pipeline, error) {
	var p Pipeline
	err := WithPool(func() error {
		var e uintptr
		id := msg.idIDErr(d.id, selNewPipeline, f.id, &e)
		if id == 0 {
			return nsError("newComputePipelineStateWithFunction:error: for kernel "+name, e)
		}
		p.id = id
		return nil
	})
	return p, err
}

// MaxTotalThreadsPerThreadgroup is the largest threadgroup this pipeline
// can run (it depends on the kernel's register and memory use).
func (p Pipeline) MaxTotalThreadsPerThreadgroup() uint { return msg.uint(p.id, selMaxTotalThreads) }

// ThreadExecutionWidth is the SIMD width (32 on Apple GPUs).
func (p Pipeline) ThreadExecutionWidth() uint { return msg.uint(p.id, selThreadExecWidth) }
