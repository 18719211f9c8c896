// Command shaderc compiles metal/shaders/*.metal into a .metallib with
// Apple's tools (build) and checks every kernel on any OS by compiling it as
// C++ and running it on an emulated compute grid (check). Run it from the
// repository root:
//
//	go run ./tools/shaderc build            # on a Mac with Xcode
//	go run ./tools/shaderc check [-run RE] [-v]
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

const usage = "usage: shaderc build | check [-run REGEXP] [-seed N] [-dir DIR] [-v]"

// run executes one command and returns the exit status: 0 ok, 1 failure,
// 2 usage error.
func run(args []string, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	fs := flag.NewFlagSet("shaderc "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "", "shader directory (default: metal/shaders of the repository)")
	verbose := fs.Bool("v", false, "print every kernel's result")
	var filter *string
	var seed *uint64
	if args[0] == "check" {
		filter = fs.String("run", "", "check only kernels matching this regular expression")
		seed = fs.Uint64("seed", 1, "seed of the random inputs")
	}
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if *dir == "" {
		d, err := shaderDir()
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		*dir = d
	}
	var err error
	switch args[0] {
	case "build":
		err = build(*dir, lookTools, stderr)
	case "check":
		opts := checkOptions{dir: *dir, seed: *seed, verbose: *verbose}
		if *filter != "" {
			re, rerr := regexp.Compile(*filter)
			if rerr != nil {
				fmt.Fprintf(stderr, "shaderc check: bad -run: %v\n", rerr)
				return 2
			}
			opts.filter = re
		}
		err = runCheck(opts)
	default:
		fmt.Fprintln(stderr, usage)
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}
