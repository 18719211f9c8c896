//go:build darwin || freebsd || linux || netbsd

package cuda

import (
	"fmt"

	"github.com/ebitengine/purego"
)

// dlopen opens a shared library with its symbols resolved now and made
// global, so that libraries opened later (cuBLAS needs cuBLASLt) find them.
func dlopen(path string) (uintptr, error) {
	return purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_GLOBAL)
}

// bind points fptr (a pointer to a func variable) at the C function name in
// lib. Unlike purego.RegisterLibFunc it returns an error for a missing
// symbol instead of panicking, so an old driver is reported, not fatal.
func bind(fptr any, lib uintptr, name string) error {
	sym, err := purego.Dlsym(lib, name)
	if err != nil {
		return fmt.Errorf("symbol %s: %w", name, err)
	}
	purego.RegisterFunc(fptr, sym)
	return nil
}
