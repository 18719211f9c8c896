package cuda

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"unsafe"

	"github.com/lbrx/lbrx/core"
)

// The kernel sources, compiled with NVRTC at first use for each device's
// architecture.
//
//go:embed kernels/*.cu kernels/*.cuh
var kernelFS embed.FS

// kernelSource returns module's source for one dtype (see LBRX_IF in
// kernels/common.cuh) with the common header in front.
func kernelSource(module string, dt core.DType) (string, error) {
	common, err := kernelFS.ReadFile("kernels/common.cuh")
	if err != nil {
		return "", err
	}
	src, err := kernelFS.ReadFile("kernels/" + module + ".cu")
	if err != nil {
		return "", fmt.Errorf("cuda: no kernel module %q: %w", module, err)
	}
	defs := "#define LBRX_WANT_" + suffix(dt) + " 1\n"
	if module == "transformer" && attvBuilt {
		defs += "#define LBRX_ATTV 1\n" // attend_vec's kernels (transformer.go)
	}
	return defs + string(common) + "\n#line 1 \"" + module + ".cu\"\n" + string(src), nil
}

// images caches compiled modules per process, keyed by module, dtype and
// compute capability, so devices of one architecture compile each once.
var images sync.Map // string -> *imageEntry

type imageEntry struct {
	once sync.Once
	img  []byte
	err  error
}

func compiledImage(module string, dt core.DType, cc int) ([]byte, error) {
	e, _ := images.LoadOrStore(fmt.Sprintf("%s:%s@%d", module, suffix(dt), cc), &imageEntry{})
	ent := e.(*imageEntry)
	ent.once.Do(func() {
		if _, err := loadNVRTC(); err != nil {
			ent.err = fmt.Errorf("%w: CUDA kernels are compiled at run time and %w", core.ErrUnsupported, err)
			return
		}
		src, err := kernelSource(module, dt)
		if err != nil {
			ent.err = err
			return
		}
		ent.img, ent.err = cachedCompile(module+".cu", src, cc)
	})
	return ent.img, ent.err
}

// cachedCompile compiles src, keeping the image in the user's cache
// directory (lbrx-cuda/<SHA-256 of NVRTC version, architecture and
// source>) so that later processes skip NVRTC. LBRX_CUDA_CACHE=off
// disables it; a cache that cannot be read or written is ignored.
func cachedCompile(name, src string, cc int) ([]byte, error) {
	dir, err := os.UserCacheDir()
	if err != nil || os.Getenv("LBRX_CUDA_CACHE") == "off" {
		return compile(name, src, cc)
	}
	version, _ := loadNVRTC()
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s\x00%d\x00%s", version, cc, src)))
	path := filepath.Join(dir, "lbrx-cuda", hex.EncodeToString(sum[:])+".bin")
	if img, err := os.ReadFile(path); err == nil && len(img) > 0 { //nolint:gosec // the cache directory plus a hex digest
		return img, nil
	}
	img, err := compile(name, src, cc)
	if err != nil {
		return nil, err
	}
	if os.MkdirAll(filepath.Dir(path), 0o750) == nil {
		if f, err := os.CreateTemp(filepath.Dir(path), "tmp-*"); err == nil {
			_, werr := f.Write(img)
			if cerr := f.Close(); werr == nil && cerr == nil {
				_ = os.Rename(f.Name(), path)
			}
			_ = os.Remove(f.Name())
		}
	}
	return img, nil
}

// function returns a kernel of module's dt part, loading that into the
// context on first use; on the worker thread.
func (d *Device) function(module string, dt core.DType, name string) (cuFunction, error) {
	if f, ok := d.funcs[name]; ok {
		return f, nil
	}
	key := module + ":" + suffix(dt)
	m, ok := d.mods[key]
	if !ok {
		img, err := compiledImage(module, dt, d.cc)
		if err != nil {
			return 0, err
		}
		if err := check("cuModuleLoadData", drv.moduleLoadData(&m, unsafe.Pointer(&img[0]))); err != nil {
			return 0, fmt.Errorf("load kernel module %s: %w", key, err)
		}
		d.mods[key] = m
	}
	var f cuFunction
	if err := check("cuModuleGetFunction", drv.moduleGetFunction(&f, m, name)); err != nil {
		return 0, fmt.Errorf("%w: kernel %s in %s: %w", core.ErrUnsupported, name, module, err)
	}
	d.funcs[name] = f
	return f, nil
}

// kargs collects kernel arguments for cuLaunchKernel, which takes an array
// of pointers to each argument's value. Values are copied into fresh heap
// cells, which the garbage collector never moves.
type kargs struct{ ptrs []unsafe.Pointer }

func (k *kargs) ptr(p devicePtr) *kargs {
	v := new(uint64)
	*v = uint64(p)
	k.ptrs = append(k.ptrs, unsafe.Pointer(v))
	return k
}

func (k *kargs) i32(x int) *kargs {
	v := new(int32)
	*v = int32(x)
	k.ptrs = append(k.ptrs, unsafe.Pointer(v))
	return k
}

func (k *kargs) i64(x int) *kargs {
	v := new(int64)
	*v = int64(x)
	k.ptrs = append(k.ptrs, unsafe.Pointer(v))
	return k
}

func (k *kargs) f64(x float64) *kargs {
	v := new(float64)
	*v = x
	k.ptrs = append(k.ptrs, unsafe.Pointer(v))
	return k
}

func (k *kargs) layout(l layout) *kargs {
	v := new(layout)
	*v = l
	k.ptrs = append(k.ptrs, unsafe.Pointer(v))
	return k
}

// launch queues kernel name of module (compiled for dtype dt) on the stream
// with a 1-D grid; on the worker thread.
func (d *Device) launch(module string, dt core.DType, name string, grid, block int, a *kargs) error {
	f, err := d.function(module, dt, name)
	if err != nil {
		return err
	}
	if grid <= 0 {
		return nil
	}
	if grid > 1<<31-1 {
		return fmt.Errorf("%w: cuda: kernel %s needs %d blocks", core.ErrUnsupported, name, grid)
	}
	var params unsafe.Pointer
	if len(a.ptrs) > 0 {
		params = unsafe.Pointer(&a.ptrs[0])
	}
	if d.usePDL(name) {
		return d.launchPDL(name, f, grid, block, params)
	}
	return check("cuLaunchKernel "+name, drv.launchKernel(f, uint32(grid), 1, 1, uint32(block), 1, 1, 0, d.stream, params, nil))
}

// gridBlock is the block size of the grid-stride kernels (elementwise,
// cast, quantized row decoding, rope).
const gridBlock = 256

// gridFor returns a grid of gridBlock-sized blocks covering n elements
// with a grid-stride loop, capped at a few waves of the GPU.
func (d *Device) gridFor(n int64) int {
	g := (n + gridBlock - 1) / gridBlock
	if c := int64(d.sms) * 32; g > c {
		g = c
	}
	return int(g)
}
