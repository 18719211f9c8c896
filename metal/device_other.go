//go:build !darwin

package metal

import (
	"errors"
	"runtime"

	"github.com/lbrx/lbrx/core"
)

// unavailable is the Metal device on systems without Metal.
type unavailable struct{}

func newDevice() core.Device { return unavailable{} }

// errNoMetal is what every constructor and operation returns off macOS.
var errNoMetal = errors.New("metal: Metal needs macOS (this build is for " + runtime.GOOS + "/" + runtime.GOARCH + ")")

func (unavailable) Name() string  { return "metal" }
func (unavailable) Kind() string  { return "metal" }
func (unavailable) Priority() int { return 20 }
func (unavailable) Status() core.Status {
	return core.Status{Reason: "Metal requires macOS"}
}
func (unavailable) Alloc(int) (core.Storage, error)              { return nil, errNoMetal }
func (unavailable) CopyFromHost(core.Storage, int, []byte) error { return errNoMetal }
func (unavailable) CopyToHost([]byte, core.Storage, int) error   { return errNoMetal }
func (unavailable) Sync() error                                  { return errNoMetal }
