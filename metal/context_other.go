//go:build !darwin

package metal

import "github.com/lbrx/lbrx/core"

// Context drives a Metal GPU; without macOS none can be created.
type Context struct{}

// DefaultContext fails: Metal requires macOS.
func DefaultContext() (*Context, error) { return nil, errNoMetal }

// NewContext fails: Metal requires macOS.
func NewContext() (*Context, error) { return nil, errNoMetal }

// Info is empty: there is no GPU.
func (c *Context) Info() Info { return Info{} }

// Device returns the unavailable metal device.
func (c *Context) Device() core.Device { return newDevice() }

// Execute fails: Metal requires macOS.
func (c *Context) Execute(*core.Op) error { return errNoMetal }

// Sync fails: Metal requires macOS.
func (c *Context) Sync() error { return errNoMetal }

func (c *Context) executeWith(*core.Op, bool) error { return errNoMetal }

func (c *Context) runPlan([]dispatch) error { return errNoMetal }
