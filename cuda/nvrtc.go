package cuda

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"unsafe"
)

type nvrtcProgram uintptr

// nv holds the NVRTC entry points.
var nv struct {
	version            func(major, minor *int32) int32
	getNumSupported    func(n *int32) int32
	getSupportedArchs  func(archs *int32) int32
	createProgram      func(p *nvrtcProgram, src, name string, nHeaders int32, headers, includes unsafe.Pointer) int32
	compileProgram     func(p nvrtcProgram, nOpts int32, opts **byte) int32
	getProgramLogSize  func(p nvrtcProgram, n *uint64) int32
	getProgramLog      func(p nvrtcProgram, log *byte) int32
	getCUBINSize       func(p nvrtcProgram, n *uint64) int32
	getCUBIN           func(p nvrtcProgram, out *byte) int32
	getPTXSize         func(p nvrtcProgram, n *uint64) int32
	getPTX             func(p nvrtcProgram, out *byte) int32
	destroyProgram     func(p *nvrtcProgram) int32
	getErrorStringNvrt func(r int32) unsafe.Pointer
}

// loadNVRTC opens the runtime compiler once and returns its version.
var loadNVRTC = sync.OnceValues(func() (string, error) {
	lib, path, err := openLibrary("LBRX_NVRTC", []string{
		"libnvrtc.so", "libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2",
	})
	if err != nil {
		return "", fmt.Errorf("NVRTC (the CUDA runtime compiler, from the CUDA toolkit) %w", err)
	}
	syms := []struct {
		fn   any
		name string
	}{
		{&nv.version, "nvrtcVersion"},
		{&nv.getNumSupported, "nvrtcGetNumSupportedArchs"},
		{&nv.getSupportedArchs, "nvrtcGetSupportedArchs"},
		{&nv.createProgram, "nvrtcCreateProgram"},
		{&nv.compileProgram, "nvrtcCompileProgram"},
		{&nv.getProgramLogSize, "nvrtcGetProgramLogSize"},
		{&nv.getProgramLog, "nvrtcGetProgramLog"},
		{&nv.getCUBINSize, "nvrtcGetCUBINSize"},
		{&nv.getCUBIN, "nvrtcGetCUBIN"},
		{&nv.getPTXSize, "nvrtcGetPTXSize"},
		{&nv.getPTX, "nvrtcGetPTX"},
		{&nv.destroyProgram, "nvrtcDestroyProgram"},
		{&nv.getErrorStringNvrt, "nvrtcGetErrorString"},
	}
	for _, s := range syms {
		if err := bind(s.fn, lib, s.name); err != nil {
			return "", fmt.Errorf("%s: %w", path, err)
		}
	}
	var major, minor int32
	if err := nvrtcCheck("nvrtcVersion", nv.version(&major, &minor)); err != nil {
		return "", err
	}
	return fmt.Sprintf("NVRTC %d.%d (%s)", major, minor, path), nil
})

func nvrtcCheck(call string, r int32) error {
	if r == 0 {
		return nil
	}
	return &Error{Call: call, Code: r, Name: cString(nv.getErrorStringNvrt(r))}
}

// pickArch chooses the compilation target for a device of compute
// capability cc (e.g. 90): machine code for that exact architecture when
// NVRTC knows it, else PTX for the newest architecture NVRTC supports that
// the device can run (the driver then compiles it).
func pickArch(cc int) (arch string, cubin bool, err error) {
	var n int32
	if err := nvrtcCheck("nvrtcGetNumSupportedArchs", nv.getNumSupported(&n)); err != nil {
		return "", false, err
	}
	if n <= 0 || n > 1024 {
		return "", false, fmt.Errorf("NVRTC reports %d supported architectures", n)
	}
	archs := make([]int32, n)
	if err := nvrtcCheck("nvrtcGetSupportedArchs", nv.getSupportedArchs(&archs[0])); err != nil {
		return "", false, err
	}
	if slices.Contains(archs, int32(cc)) {
		return fmt.Sprintf("sm_%d", cc), true, nil
	}
	best := int32(-1)
	for _, a := range archs {
		if int(a) <= cc && a > best {
			best = a
		}
	}
	if best < 0 {
		return "", false, fmt.Errorf("NVRTC supports none of the architectures up to compute capability %d.%d (it knows %v)", cc/10, cc%10, archs)
	}
	return fmt.Sprintf("compute_%d", best), false, nil
}

// compile builds src for compute capability cc and returns a CUBIN or PTX
// image for cuModuleLoadData. A compilation error carries NVRTC's log.
func compile(name, src string, cc int) ([]byte, error) {
	arch, cubin, err := pickArch(cc)
	if err != nil {
		return nil, err
	}
	var prog nvrtcProgram
	if err := nvrtcCheck("nvrtcCreateProgram", nv.createProgram(&prog, src, name, 0, nil, nil)); err != nil {
		return nil, err
	}
	defer nv.destroyProgram(&prog)
	opts := []string{"--gpu-architecture=" + arch, "--std=c++17", "-default-device"}
	keep, ptrs := cStrings(opts)
	r := nv.compileProgram(prog, int32(len(ptrs)), &ptrs[0])
	_ = keep[0]
	if err := nvrtcCheck("nvrtcCompileProgram", r); err != nil {
		return nil, fmt.Errorf("compile %s for %s: %w\n%s", name, arch, err, programLog(prog))
	}
	size, get := nv.getPTXSize, nv.getPTX
	if cubin {
		size, get = nv.getCUBINSize, nv.getCUBIN
	}
	var n uint64
	if err := nvrtcCheck("nvrtcGetCUBINSize", size(prog, &n)); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, fmt.Errorf("compile %s: NVRTC produced an empty image", name)
	}
	img := make([]byte, n+1) // PTX must stay NUL-terminated
	if err := nvrtcCheck("nvrtcGetCUBIN", get(prog, &img[0])); err != nil {
		return nil, err
	}
	return img, nil
}

func programLog(p nvrtcProgram) string {
	var n uint64
	if nv.getProgramLogSize(p, &n) != 0 || n <= 1 || n > 1<<24 {
		return ""
	}
	b := make([]byte, n)
	if nv.getProgramLog(p, &b[0]) != 0 {
		return ""
	}
	return strings.TrimRight(string(b), "\x00\n")
}
