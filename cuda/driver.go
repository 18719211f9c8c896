package cuda

import (
	"fmt"
	"sync"
	"unsafe"
)

// Driver API handles. CUDA's opaque handles are pointers; device memory is
// a 64-bit address.
type (
	cuContext  uintptr
	cuStream   uintptr
	cuEvent    uintptr
	cuModule   uintptr
	cuFunction uintptr
	cuGraph    uintptr
	cuGraphExe uintptr
	devicePtr  uint64
)

// Driver API constants (cuda.h).
const (
	attrMultiprocessorCount = 16
	attrComputeCapMajor     = 75
	attrComputeCapMinor     = 76
	attrSharedPerBlockOptin = 97
	streamNonBlocking       = 1
	eventDisableTiming      = 2
	captureModeRelaxed      = 2
	errNoDevice             = 100
	funcAttrMaxDynShared    = 8
)

// drv holds the driver API entry points, bound once from libcuda.so.1.
var drv struct {
	init               func(flags uint32) int32
	driverGetVersion   func(v *int32) int32
	deviceGetCount     func(n *int32) int32
	deviceGet          func(d *int32, ordinal int32) int32
	deviceGetName      func(name *byte, n int32, dev int32) int32
	deviceGetAttribute func(v *int32, attr int32, dev int32) int32
	deviceTotalMem     func(bytes *uint64, dev int32) int32
	primaryCtxRetain   func(ctx *cuContext, dev int32) int32
	ctxSetCurrent      func(ctx cuContext) int32
	streamCreate       func(s *cuStream, flags uint32) int32
	streamSynchronize  func(s cuStream) int32
	eventCreate        func(e *cuEvent, flags uint32) int32
	eventRecord        func(e cuEvent, s cuStream) int32
	// eventRecordWithFlags (CUDA 11.1+) is optional: graph profiles
	// (graphprof.go) need it; nil where the driver lacks it.
	eventRecordWithFlags func(e cuEvent, s cuStream, flags uint32) int32
	eventSynchronize     func(e cuEvent) int32
	eventDestroy         func(e cuEvent) int32
	eventElapsedTime     func(ms *float32, start, end cuEvent) int32
	memAlloc             func(p *devicePtr, size uint64) int32
	memFree              func(p devicePtr) int32
	memAllocHost         func(pp *unsafe.Pointer, size uint64) int32
	memFreeHost          func(p unsafe.Pointer) int32
	memGetInfo           func(free, total *uint64) int32
	memcpyHtoDAsync      func(dst devicePtr, src unsafe.Pointer, n uint64, s cuStream) int32
	memcpyDtoHAsync      func(dst unsafe.Pointer, src devicePtr, n uint64, s cuStream) int32
	memcpyDtoDAsync      func(dst, src devicePtr, n uint64, s cuStream) int32
	memsetD8Async        func(dst devicePtr, v uint8, n uint64, s cuStream) int32
	moduleLoadData       func(m *cuModule, image unsafe.Pointer) int32
	moduleGetFunction    func(f *cuFunction, m cuModule, name string) int32
	funcSetAttribute     func(f cuFunction, attr int32, v int32) int32
	launchKernel         func(f cuFunction, gx, gy, gz, bx, by, bz, shared uint32, s cuStream, params, extra unsafe.Pointer) int32
	launchKernelEx       func(cfg unsafe.Pointer, f cuFunction, params, extra unsafe.Pointer) int32
	getErrorString       func(r int32, s *unsafe.Pointer) int32
	streamBeginCapture   func(s cuStream, mode int32) int32
	streamEndCapture     func(s cuStream, g *cuGraph) int32
	graphInstantiate     func(e *cuGraphExe, g cuGraph, flags uint64) int32
	graphLaunch          func(e cuGraphExe, s cuStream) int32
	graphExecUpdate      func(e cuGraphExe, g cuGraph, info unsafe.Pointer) int32
	graphExecDestroy     func(e cuGraphExe) int32
	graphDestroy         func(g cuGraph) int32
	getErrorName         func(r int32, s *unsafe.Pointer) int32
}

// graphsBound reports whether the driver has every CUDA graph entry point.
var graphsBound = true

// launchExBound reports whether the driver has cuLaunchKernelEx (CUDA
// 11.8+), which programmatic dependent launch needs (pdl.go).
var launchExBound = true

// loadDriver opens libcuda and binds every entry point, once.
var loadDriver = sync.OnceValues(func() (string, error) {
	lib, path, err := openLibrary("LBRX_LIBCUDA", []string{"libcuda.so.1", "libcuda.so"})
	if err != nil {
		return "", fmt.Errorf("NVIDIA driver library %w", err)
	}
	syms := []struct {
		fn   any
		name string
	}{
		{&drv.init, "cuInit"},
		{&drv.driverGetVersion, "cuDriverGetVersion"},
		{&drv.deviceGetCount, "cuDeviceGetCount"},
		{&drv.deviceGet, "cuDeviceGet"},
		{&drv.deviceGetName, "cuDeviceGetName"},
		{&drv.deviceGetAttribute, "cuDeviceGetAttribute"},
		{&drv.deviceTotalMem, "cuDeviceTotalMem_v2"},
		{&drv.primaryCtxRetain, "cuDevicePrimaryCtxRetain"},
		{&drv.ctxSetCurrent, "cuCtxSetCurrent"},
		{&drv.streamCreate, "cuStreamCreate"},
		{&drv.streamSynchronize, "cuStreamSynchronize"},
		{&drv.eventCreate, "cuEventCreate"},
		{&drv.eventRecord, "cuEventRecord"},
		{&drv.eventSynchronize, "cuEventSynchronize"},
		{&drv.eventDestroy, "cuEventDestroy_v2"},
		{&drv.memAlloc, "cuMemAlloc_v2"},
		{&drv.memFree, "cuMemFree_v2"},
		{&drv.memAllocHost, "cuMemAllocHost_v2"},
		{&drv.memFreeHost, "cuMemFreeHost"},
		{&drv.memGetInfo, "cuMemGetInfo_v2"},
		{&drv.memcpyHtoDAsync, "cuMemcpyHtoDAsync_v2"},
		{&drv.memcpyDtoHAsync, "cuMemcpyDtoHAsync_v2"},
		{&drv.memcpyDtoDAsync, "cuMemcpyDtoDAsync_v2"},
		{&drv.memsetD8Async, "cuMemsetD8Async"},
		{&drv.moduleLoadData, "cuModuleLoadData"},
		{&drv.moduleGetFunction, "cuModuleGetFunction"},
		{&drv.funcSetAttribute, "cuFuncSetAttribute"},
		{&drv.launchKernel, "cuLaunchKernel"},
		{&drv.getErrorString, "cuGetErrorString"},
		{&drv.getErrorName, "cuGetErrorName"},
	}
	for _, s := range syms {
		if err := bind(s.fn, lib, s.name); err != nil {
			return "", fmt.Errorf("%s is too old or damaged: %w", path, err)
		}
	}
	// CUDA graphs (stream capture, 11.4+; cuGraphExecUpdate_v2, 12.0+) are
	// optional: without them graphs replay op by op (graphsBound).
	for _, g := range []struct {
		fn   any
		name string
	}{
		{&drv.streamBeginCapture, "cuStreamBeginCapture_v2"},
		{&drv.streamEndCapture, "cuStreamEndCapture"},
		{&drv.graphInstantiate, "cuGraphInstantiateWithFlags"},
		{&drv.graphLaunch, "cuGraphLaunch"},
		{&drv.graphExecUpdate, "cuGraphExecUpdate_v2"},
		{&drv.graphExecDestroy, "cuGraphExecDestroy"},
		{&drv.graphDestroy, "cuGraphDestroy"},
	} {
		if bind(g.fn, lib, g.name) != nil {
			graphsBound = false
		}
	}
	if bind(&drv.eventRecordWithFlags, lib, "cuEventRecordWithFlags") != nil {
		drv.eventRecordWithFlags = nil
	}
	if bind(&drv.launchKernelEx, lib, "cuLaunchKernelEx") != nil {
		launchExBound = false
	}
	// cuEventElapsedTime_v2 replaced the original in CUDA 12.8; either does.
	if bind(&drv.eventElapsedTime, lib, "cuEventElapsedTime_v2") != nil {
		if err := bind(&drv.eventElapsedTime, lib, "cuEventElapsedTime"); err != nil {
			return "", fmt.Errorf("%s: %w", path, err)
		}
	}
	return path, nil
})

// Error is a failed CUDA driver, NVRTC or cuBLAS call.
type Error struct {
	Call string // the API function, e.g. "cuMemAlloc"
	Code int32  // its status code
	Name string // CUDA_ERROR_OUT_OF_MEMORY, NVRTC_ERROR_COMPILATION, ...
	Msg  string // the library's description
}

func (e *Error) Error() string {
	if e.Msg != "" {
		return fmt.Sprintf("%s: %s (%s, %d)", e.Call, e.Msg, e.Name, e.Code)
	}
	return fmt.Sprintf("%s: %s (%d)", e.Call, e.Name, e.Code)
}

// check turns a driver API status into an error naming the call.
func check(call string, r int32) error {
	if r == 0 {
		return nil
	}
	e := &Error{Call: call, Code: r, Name: "CUDA_ERROR_UNKNOWN"}
	var p unsafe.Pointer
	if drv.getErrorName != nil && drv.getErrorName(r, &p) == 0 {
		e.Name = cString(p)
	}
	if drv.getErrorString != nil && drv.getErrorString(r, &p) == 0 {
		e.Msg = cString(p)
	}
	return e
}

// cString copies a NUL-terminated C string (at most 64 KiB, as a guard
// against a missing terminator).
func cString(p unsafe.Pointer) string {
	if p == nil {
		return ""
	}
	var b []byte
	for i := range 1 << 16 {
		c := *(*byte)(unsafe.Add(p, i))
		if c == 0 {
			break
		}
		b = append(b, c)
	}
	return string(b)
}

// cStrings returns NUL-terminated copies of ss and an array of pointers to
// them, for C functions taking const char**. Keep the first result alive
// for as long as the pointers are used.
func cStrings(ss []string) (keep [][]byte, ptrs []*byte) {
	keep = make([][]byte, len(ss))
	ptrs = make([]*byte, len(ss))
	for i, s := range ss {
		keep[i] = append([]byte(s), 0)
		ptrs[i] = &keep[i][0]
	}
	return keep, ptrs
}
