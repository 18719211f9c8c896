package metal

import (
	"errors"
	"fmt"
	"sync"
	"weak"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/metal/internal/mtl"
)

// Context owns one GPU's Metal state: the device, a command queue, the
// buffer pool, the kernel library and its compiled pipelines, and the
// command buffer being encoded. Ops encode into that command buffer and
// it is committed every few dispatches; the host waits only when it reads
// results (CopyToHost, Sync) or must overwrite a buffer the GPU still
// uses. A Context is safe for concurrent use.
type Context struct {
	dev   mtl.Device
	queue mtl.CommandQueue
	lib   mtl.Library
	pool  *BufferPool
	info  Info
	core  *device // the core.Device its storage reports

	mu      sync.Mutex
	sched   schedule // command buffers: open, in flight, completed
	pipes   map[string]*pipeline
	imports map[uintptr]weak.Pointer[Buffer]
}

// pipeline is a compiled kernel with the limits its dispatches need.
type pipeline struct {
	ps         mtl.Pipeline
	maxThreads int
	simdWidth  int
}

var (
	defaultOnce   sync.Once
	defaultCtx    *Context
	errDefaultCtx error
)

// DefaultContext returns the process-wide Context of the system's default
// GPU, creating it on first use. The registered core device "metal" uses
// it.
func DefaultContext() (*Context, error) {
	defaultOnce.Do(func() { defaultCtx, errDefaultCtx = newContext(registered) })
	return defaultCtx, errDefaultCtx
}

// NewContext creates a separate Context on the default GPU, with its own
// queue, pool and pipelines. Its storage belongs to its own core.Device
// (Context.Device), distinct from the registered "metal" device.
func NewContext() (*Context, error) { return newContext(&device{}) }

func newContext(d *device) (*Context, error) {
	dev, err := mtl.DefaultDevice()
	if err != nil {
		return nil, err
	}
	c := &Context{dev: dev, core: d, pipes: map[string]*pipeline{}, imports: map[uintptr]weak.Pointer[Buffer]{}}
	c.sched = schedule{policy: defaultBatch, open: c.openCmd}
	c.info = Info{
		Name:                  dev.Name(),
		UnifiedMemory:         dev.HasUnifiedMemory(),
		MaxBufferLength:       int(min(dev.MaxBufferLength(), uint(maxInt))),
		RecommendedWorkingSet: dev.RecommendedMaxWorkingSetSize(),
		SimdgroupMatrix:       dev.SupportsFamily(mtl.GPUFamilyApple7),
	}
	if c.queue, err = dev.NewCommandQueue(); err != nil {
		dev.Release()
		return nil, err
	}
	if c.lib, c.info.Library, err = loadLibrary(dev); err != nil {
		c.queue.Release()
		dev.Release()
		return nil, err
	}
	// Idle cached buffers are memory the GPU cannot use for live tensors:
	// cache at most a quarter of the recommended working set.
	limit := int64(min(c.info.RecommendedWorkingSet/4, uint64(maxInt)))
	if c.pool, err = NewBufferPool(mtlAllocator{c}, limit); err != nil {
		return nil, err
	}
	d.ctx = c
	return c, nil
}

const maxInt = int(^uint(0) >> 1)

// loadLibrary loads the embedded kernels: the metallib when it matches the
// embedded sources (library.go decides), else the sources compiled now.
func loadLibrary(dev mtl.Device) (mtl.Library, string, error) {
	l, err := Load()
	if err != nil {
		return mtl.Library{}, "", err
	}
	if l.Metallib != nil {
		lib, err := dev.NewLibraryWithData(l.Metallib)
		if err == nil {
			return lib, "embedded metallib", nil
		}
		// A metallib the OS rejects (built for a newer macOS, say) is not
		// fatal: the same kernels compile from source.
		l.Reason = "embedded metallib rejected: " + err.Error()
	}
	lv, err := languageVersion(LanguageVersion)
	if err != nil {
		return mtl.Library{}, "", err
	}
	lib, err := dev.NewLibraryWithSource(l.Source, mtl.CompileOptions{LanguageVersion: lv})
	if err != nil {
		return mtl.Library{}, "", fmt.Errorf("compiling the embedded kernels: %w", err)
	}
	return lib, "compiled from source at run time (" + l.Reason + ")", nil
}

// Info describes the GPU.
func (c *Context) Info() Info { return c.info }

// Pool returns the context's buffer pool (for statistics and trimming).
func (c *Context) Pool() *BufferPool { return c.pool }

// Device returns the core.Device whose storage lives in this context.
func (c *Context) Device() core.Device { return c.core }

// pipelineLocked returns the compiled pipeline of a kernel, building and
// caching it on first use. c.mu is held.
func (c *Context) pipelineLocked(name string) (*pipeline, error) {
	if p, ok := c.pipes[name]; ok {
		return p, nil
	}
	fn, err := c.lib.NewFunction(name)
	if err != nil {
		return nil, err
	}
	defer fn.Release()
	ps, err := c.dev.NewPipeline(fn, name)
	if err != nil {
		return nil, err
	}
	p := &pipeline{ps: ps, maxThreads: int(ps.MaxTotalThreadsPerThreadgroup()), simdWidth: int(ps.ThreadExecutionWidth())}
	if p.maxThreads <= 0 || p.simdWidth <= 0 {
		ps.Release()
		return nil, fmt.Errorf("metal: kernel %s: pipeline reports %d threads per threadgroup, SIMD width %d", name, p.maxThreads, p.simdWidth)
	}
	c.pipes[name] = p
	return p, nil
}

// errForeign reports storage that does not belong to this context.
var errForeign = errors.New("metal: storage belongs to another device or context")
