package main

import (
	"flag"
	"strings"
)

// parseMixed parses args whose positional arguments may come before,
// between or after the flags (`lbrx logits MODEL --ids 1,2`), which the
// flag package alone stops at. A flag takes the next argument as its
// value unless it is boolean or written --name=value. It returns the
// positional arguments in order; "-" is positional (stdout or stdin).
func parseMixed(fs *flag.FlagSet, args []string) ([]string, error) {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			pos = append(pos, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		if f := fs.Lookup(name); f != nil && isBoolFlag(f) {
			continue
		}
		if i+1 < len(args) {
			flags = append(flags, args[i+1])
			i++
		}
	}
	return pos, fs.Parse(flags)
}
