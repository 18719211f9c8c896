package core_test

import (
	"fmt"

	"github.com/lbrx/lbrx/core"
)

// Large CPU matrix products use every GOMAXPROCS thread by default;
// SetCPUThreads caps them (here to one), 0 restores the default.
func ExampleSetCPUThreads() {
	core.SetCPUThreads(1)
	defer core.SetCPUThreads(0)
	fmt.Println(core.CPUThreads())
	// Output: 1
}
