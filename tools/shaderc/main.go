// Command shaderc compiles metal/shaders/*.metal into a .metallib with
// Apple's tools (build) and checks every kernel on any OS by compiling it as
// C++ and running it on an emulated compute grid (check).
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "shaderc: not implemented yet")
	os.Exit(1)
}
