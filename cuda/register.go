package cuda

import (
	"errors"

	"github.com/lbrx/lbrx/core"
)

func init() { core.Register(unavailable{reason: "CUDA backend not built yet"}) }

// unavailable stands for CUDA when no device can be used.
type unavailable struct{ reason string }

var errNoCUDA = errors.New("cuda: unavailable")

func (unavailable) Name() string                                 { return "cuda" }
func (unavailable) Kind() string                                 { return "cuda" }
func (unavailable) Priority() int                                { return 30 }
func (u unavailable) Status() core.Status                        { return core.Status{Reason: u.reason} }
func (unavailable) Alloc(int) (core.Storage, error)              { return nil, errNoCUDA }
func (unavailable) CopyFromHost(core.Storage, int, []byte) error { return errNoCUDA }
func (unavailable) CopyToHost([]byte, core.Storage, int) error   { return errNoCUDA }
func (unavailable) Sync() error                                  { return errNoCUDA }
