//go:build darwin

package metal

import (
	"errors"

	"github.com/lbrx/lbrx/core"
)

// unavailable is the Metal device on systems without Metal.
type unavailable struct{}

func newDevice() core.Device { return unavailable{} }

var errNoMetal = errors.New("metal: Metal backend not built yet")

func (unavailable) Name() string  { return "metal" }
func (unavailable) Kind() string  { return "metal" }
func (unavailable) Priority() int { return 20 }
func (unavailable) Status() core.Status {
	return core.Status{Reason: "Metal backend not built yet"}
}
func (unavailable) Alloc(int) (core.Storage, error)              { return nil, errNoMetal }
func (unavailable) CopyFromHost(core.Storage, int, []byte) error { return errNoMetal }
func (unavailable) CopyToHost([]byte, core.Storage, int) error   { return errNoMetal }
func (unavailable) Sync() error                                  { return errNoMetal }
