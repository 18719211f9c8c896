package metal

import (
	"fmt"
	"sync"

	"github.com/lbrx/lbrx/core"
)

// device is the core.Device of one Context. The registered "metal" device
// binds to DefaultContext on first use, so importing the package never
// touches the GPU at init.
type device struct {
	once sync.Once
	ctx  *Context
	err  error
}

// registered is the device core.Register receives.
var registered = &device{}

func newDevice() core.Device { return registered }

// context returns the device's Context, creating the default one for the
// registered device.
func (d *device) context() (*Context, error) {
	d.once.Do(func() {
		if d.ctx != nil { // made by NewContext
			return
		}
		if d != registered {
			d.err = fmt.Errorf("metal: device has no context")
			return
		}
		_, d.err = DefaultContext()
	})
	if d.err != nil {
		return nil, d.err
	}
	return d.ctx, nil
}

func (d *device) Name() string  { return "metal" }
func (d *device) Kind() string  { return "metal" }
func (d *device) Priority() int { return 20 }

// Status reports the GPU, or why there is none usable.
func (d *device) Status() core.Status {
	if _, err := d.context(); err != nil {
		return core.Status{Reason: err.Error()}
	}
	return core.Status{Available: true}
}

// String names the GPU and where its kernels came from.
func (d *device) String() string {
	c, err := d.context()
	if err != nil {
		return "metal (unavailable: " + err.Error() + ")"
	}
	return fmt.Sprintf("metal (%s, kernels: %s)", c.info.Name, c.info.Library)
}

func (d *device) Alloc(n int) (core.Storage, error) {
	c, err := d.context()
	if err != nil {
		return nil, err
	}
	return c.alloc(n)
}

func (d *device) CopyFromHost(dst core.Storage, off int, src []byte) error {
	c, err := d.context()
	if err != nil {
		return err
	}
	return c.CopyFromHost(dst, off, src)
}

func (d *device) CopyToHost(dst []byte, src core.Storage, off int) error {
	c, err := d.context()
	if err != nil {
		return err
	}
	return c.CopyToHost(dst, src, off)
}

func (d *device) Sync() error {
	c, err := d.context()
	if err != nil {
		return err
	}
	return c.Sync()
}

// Execute implements core.Executor.
func (d *device) Execute(op *core.Op) error {
	c, err := d.context()
	if err != nil {
		return err
	}
	return c.Execute(op)
}

// Import implements core.Importer: read-only, page-aligned host memory
// (a mapped file) becomes a Metal buffer without a copy.
func (d *device) Import(src core.HostStorage) (core.Storage, error) {
	c, err := d.context()
	if err != nil {
		return nil, err
	}
	return c.Import(src)
}
