package core

import (
	"cmp"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
)

// Status tells whether a device can be used and, when it cannot, why.
type Status struct {
	Available bool
	// Reason explains an unavailable device ("Metal requires macOS",
	// "libcuda.so.1 not found"); empty when available.
	Reason string
}

// Device is a place tensors live and ops run. Backends implement it and
// call Register from their package's init, the way database/sql drivers do.
//
// Data moves through CopyFromHost/CopyToHost; a device may run ops on its
// own storage by also implementing Executor. Everything a device does not
// implement runs on the CPU through core, transparently and counted (see
// Fallbacks).
type Device interface {
	// Name is unique in the registry: "cpu", "metal", "cuda:0".
	Name() string
	// Kind is the backend family: "cpu", "metal", "cuda". LBRX_DEVICE may
	// name a kind to mean its first device.
	Kind() string
	// Priority orders DefaultDevice's choice: higher wins.
	Priority() int
	// Status reports availability. It must not panic when the hardware or
	// its libraries are missing.
	Status() Status
	// Alloc returns zeroed storage of n bytes.
	Alloc(n int) (Storage, error)
	// CopyFromHost writes src into dst starting at byte offset off.
	CopyFromHost(dst Storage, off int, src []byte) error
	// CopyToHost reads len(dst) bytes of src starting at byte offset off.
	// It waits for work that writes src.
	CopyToHost(dst []byte, src Storage, off int) error
	// Sync waits for all queued work and returns the first error it hit.
	Sync() error
}

// OutputAllocator is implemented by devices that can hand out storage
// without clearing it. Core allocates op outputs through it, since every
// kernel writes its whole output: on a GPU that saves a memset per op.
type OutputAllocator interface {
	// AllocOutput returns storage of n bytes whose contents are
	// undefined.
	AllocOutput(n int) (Storage, error)
}

// Executor is implemented by devices that run ops on their own storage.
// Execute returns an error wrapping ErrUnsupported for ops or dtypes it has
// no kernel for; core then runs the op on the CPU.
type Executor interface {
	Execute(op *Op) error
}

// Importer is implemented by devices that can use host memory in place
// (unified memory): To then moves a host tensor without copying. Import
// returns an error when it cannot, and To copies instead.
type Importer interface {
	Import(src HostStorage) (Storage, error)
}

var registry struct {
	sync.Mutex
	devices   []Device
	fallbacks map[string]int64
}

// Register adds a device to the registry. Backends call it from init, also
// when their hardware is missing, so that Devices can say why. Registering
// nil or a duplicate name is a programming error and panics, as in
// database/sql.
func Register(d Device) {
	if d == nil {
		panic("core.Register: nil device")
	}
	registry.Lock()
	defer registry.Unlock()
	for _, e := range registry.devices {
		if e.Name() == d.Name() {
			panic("core.Register: device " + d.Name() + " registered twice")
		}
	}
	registry.devices = append(registry.devices, d)
}

// Devices lists every registered device, best first (by Priority, then name).
func Devices() []Device {
	registry.Lock()
	ds := slices.Clone(registry.devices)
	registry.Unlock()
	slices.SortStableFunc(ds, func(a, b Device) int {
		if c := cmp.Compare(b.Priority(), a.Priority()); c != 0 {
			return c
		}
		return cmp.Compare(a.Name(), b.Name())
	})
	return ds
}

// Lookup finds a device by name ("cuda:1") or kind ("cuda": its first
// device). It does not check availability.
func Lookup(name string) (Device, error) {
	ds := Devices()
	for _, d := range ds {
		if d.Name() == name {
			return d, nil
		}
	}
	for _, d := range ds {
		if d.Kind() == name {
			return d, nil
		}
	}
	names := make([]string, len(ds))
	for i, d := range ds {
		names[i] = d.Name()
	}
	return nil, fmt.Errorf("no device %q is registered (have %s)", name, strings.Join(names, ", "))
}

// DefaultDevice returns the best available device, or the one LBRX_DEVICE
// names (cpu, metal, cuda or cuda:N), which must then be available.
func DefaultDevice() (Device, error) {
	if name := os.Getenv("LBRX_DEVICE"); name != "" {
		d, err := Lookup(name)
		if err != nil {
			return nil, fmt.Errorf("LBRX_DEVICE: %w", err)
		}
		if st := d.Status(); !st.Available {
			return nil, fmt.Errorf("LBRX_DEVICE=%s: device %s is unavailable: %s", name, d.Name(), st.Reason)
		}
		return d, nil
	}
	for _, d := range Devices() {
		if d.Status().Available {
			return d, nil
		}
	}
	return CPU(), nil
}

// countFallback records that op ran on the CPU on behalf of dev.
func countFallback(dev Device, op string) {
	registry.Lock()
	defer registry.Unlock()
	if registry.fallbacks == nil {
		registry.fallbacks = map[string]int64{}
	}
	registry.fallbacks[dev.Name()+"/"+op]++
}

// Fallbacks returns how many times each op ran on the CPU because a device
// lacked a kernel, keyed "device/op".
func Fallbacks() map[string]int64 {
	registry.Lock()
	defer registry.Unlock()
	m := make(map[string]int64, len(registry.fallbacks))
	for k, v := range registry.fallbacks {
		m[k] = v
	}
	return m
}
