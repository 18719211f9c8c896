package serve

import (
	_ "github.com/lbrx/lbrx/cuda"  // registers the CUDA devices: LBRX_DEVICE=cuda runs these tests there
	_ "github.com/lbrx/lbrx/metal" // registers the Metal device
)
