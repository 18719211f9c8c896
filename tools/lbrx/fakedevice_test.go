package main

import (
	"fmt"

	"github.com/lbrx/lbrx/core"
)

// testDevice is a registered device whose memory the CPU cannot address
// and that has no kernels: commands run on it through core's counted CPU
// fallback, which exercises their device paths on any machine.
var testDevice = &fakeDevice{}

func init() { core.Register(testDevice) }

type fakeDevice struct{}

type fakeStorage struct{ b []byte }

func (s *fakeStorage) Device() core.Device { return testDevice }
func (s *fakeStorage) Len() int            { return len(s.b) }

func (*fakeDevice) Name() string        { return "fake:0" }
func (*fakeDevice) Kind() string        { return "fake" }
func (*fakeDevice) Priority() int       { return -1 }
func (*fakeDevice) Status() core.Status { return core.Status{Available: true} }
func (*fakeDevice) Sync() error         { return nil }
func (*fakeDevice) Alloc(n int) (core.Storage, error) {
	return &fakeStorage{b: make([]byte, n)}, nil
}

func (*fakeDevice) CopyFromHost(dst core.Storage, off int, src []byte) error {
	s, ok := dst.(*fakeStorage)
	if !ok || off+len(src) > len(s.b) {
		return fmt.Errorf("fake: bad copy")
	}
	copy(s.b[off:], src)
	return nil
}

func (*fakeDevice) CopyToHost(dst []byte, src core.Storage, off int) error {
	s, ok := src.(*fakeStorage)
	if !ok || off+len(dst) > len(s.b) {
		return fmt.Errorf("fake: bad copy")
	}
	copy(dst, s.b[off:])
	return nil
}
