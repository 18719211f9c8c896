package cuda

import (
	"errors"
	"fmt"

	"github.com/lbrx/lbrx/core"
)

func init() {
	devs, err := discover()
	if err != nil {
		core.Register(unavailable{reason: err.Error()})
		return
	}
	for _, d := range devs {
		core.Register(d)
	}
}

// discover loads the driver and describes every GPU without creating
// contexts (that happens on first use), so importing the package is cheap.
func discover() ([]*Device, error) {
	if _, err := loadDriver(); err != nil {
		return nil, err
	}
	if r := drv.init(0); r != 0 {
		err := check("cuInit", r)
		if r == errNoDevice {
			return nil, fmt.Errorf("no NVIDIA GPU found: %w", err)
		}
		return nil, fmt.Errorf("the NVIDIA driver failed to initialise: %w", err)
	}
	var version, count int32
	if err := check("cuDriverGetVersion", drv.driverGetVersion(&version)); err != nil {
		return nil, err
	}
	if err := check("cuDeviceGetCount", drv.deviceGetCount(&count)); err != nil {
		return nil, err
	}
	if count == 0 {
		return nil, errors.New("no NVIDIA GPU found: the driver reports 0 devices")
	}
	devs := make([]*Device, 0, count)
	for i := range count {
		var dev int32
		if err := check("cuDeviceGet", drv.deviceGet(&dev, i)); err != nil {
			return nil, err
		}
		d := &Device{ordinal: int(dev), name: fmt.Sprintf("cuda:%d", i), driver: version}
		name := make([]byte, 256)
		if err := check("cuDeviceGetName", drv.deviceGetName(&name[0], int32(len(name)), dev)); err != nil {
			return nil, err
		}
		d.gpu = cStringBytes(name)
		var major, minor, sms int32
		for _, a := range []struct {
			v    *int32
			attr int32
		}{{&major, attrComputeCapMajor}, {&minor, attrComputeCapMinor}, {&sms, attrMultiprocessorCount}} {
			if err := check("cuDeviceGetAttribute", drv.deviceGetAttribute(a.v, a.attr, dev)); err != nil {
				return nil, err
			}
		}
		d.cc, d.sms = int(major*10+minor), int(sms)
		if err := check("cuDeviceTotalMem", drv.deviceTotalMem(&d.totalMem, dev)); err != nil {
			return nil, err
		}
		devs = append(devs, d)
	}
	return devs, nil
}

func cStringBytes(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

// unavailable stands for CUDA when no GPU can be used, and says why.
type unavailable struct{ reason string }

func (u unavailable) err() error { return fmt.Errorf("cuda: unavailable: %s", u.reason) }

func (unavailable) Name() string                                   { return "cuda" }
func (unavailable) Kind() string                                   { return "cuda" }
func (unavailable) Priority() int                                  { return priority }
func (u unavailable) Status() core.Status                          { return core.Status{Reason: u.reason} }
func (u unavailable) Alloc(int) (core.Storage, error)              { return nil, u.err() }
func (u unavailable) CopyFromHost(core.Storage, int, []byte) error { return u.err() }
func (u unavailable) CopyToHost([]byte, core.Storage, int) error   { return u.err() }
func (u unavailable) Sync() error                                  { return u.err() }
