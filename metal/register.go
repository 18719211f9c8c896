package metal

import "github.com/lbrx/lbrx/core"

func init() { core.Register(newDevice()) }
