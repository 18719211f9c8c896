//go:build !(darwin || freebsd || linux || netbsd)

package cuda

import (
	"fmt"
	"runtime"
)

func dlopen(string) (uintptr, error) {
	return 0, fmt.Errorf("loading shared libraries is not supported on %s", runtime.GOOS)
}

func bind(any, uintptr, string) error {
	return fmt.Errorf("loading shared libraries is not supported on %s", runtime.GOOS)
}
