package core

import (
	"fmt"
	"runtime"
)

// cpuDevice is the always-available host backend.
type cpuDevice struct{}

var cpuDev Device = cpuDevice{}

func init() { Register(cpuDev) }

// CPU returns the host device.
func CPU() Device { return cpuDev }

func (cpuDevice) Name() string   { return "cpu" }
func (cpuDevice) Kind() string   { return "cpu" }
func (cpuDevice) Priority() int  { return 0 }
func (cpuDevice) Status() Status { return Status{Available: true} }
func (cpuDevice) Sync() error    { return nil }

// String describes the host CPU.
func (cpuDevice) String() string {
	return fmt.Sprintf("cpu (%s/%s, %d threads)", runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0))
}

func (cpuDevice) Alloc(n int) (Storage, error) {
	if n < 0 {
		return nil, fmt.Errorf("cpu: negative allocation %d", n)
	}
	if err := checkHostAlloc(n); err != nil {
		return nil, fmt.Errorf("cpu: %w", err)
	}
	return NewHeap(n), nil
}

func (cpuDevice) CopyFromHost(dst Storage, off int, src []byte) error {
	hs, ok := dst.(HostStorage)
	if !ok || !hs.Writable() {
		return fmt.Errorf("cpu: destination storage is not writable host memory")
	}
	b := hs.Bytes()
	if off < 0 || off+len(src) > len(b) {
		return fmt.Errorf("cpu: copy of %d bytes at %d overruns storage of %d bytes", len(src), off, len(b))
	}
	copy(b[off:], src)
	return nil
}

func (cpuDevice) CopyToHost(dst []byte, src Storage, off int) error {
	hs, ok := src.(HostStorage)
	if !ok {
		return fmt.Errorf("cpu: source storage is not host memory")
	}
	b := hs.Bytes()
	if off < 0 || off+len(dst) > len(b) {
		return fmt.Errorf("cpu: read of %d bytes at %d overruns storage of %d bytes", len(dst), off, len(b))
	}
	copy(dst, b[off:])
	return nil
}
