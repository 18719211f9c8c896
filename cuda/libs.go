package cuda

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// libraryDirs lists where CUDA libraries are installed when the dynamic
// loader's own search (LD_LIBRARY_PATH, ld.so.cache) does not find them:
// the toolkit's directories, distribution library directories, the
// container driver mount, and WSL's driver directory.
func libraryDirs() []string {
	var dirs []string
	for _, env := range []string{"LBRX_CUDA_LIB_DIR", "CUDA_PATH", "CUDA_HOME", "CUDA_ROOT"} {
		v := os.Getenv(env)
		if v == "" {
			continue
		}
		if env == "LBRX_CUDA_LIB_DIR" {
			dirs = append(dirs, filepath.SplitList(v)...)
			continue
		}
		dirs = append(dirs, filepath.Join(v, "lib64"), filepath.Join(v, "lib"))
	}
	arch := "x86_64"
	if runtime.GOARCH == "arm64" {
		arch = "aarch64"
	}
	dirs = append(dirs,
		"/usr/local/cuda/lib64",
		"/usr/local/cuda/targets/"+arch+"-linux/lib",
		"/usr/lib/"+arch+"-linux-gnu",
		"/usr/lib64",
		"/usr/local/nvidia/lib64",
		"/usr/local/nvidia/lib",
		"/opt/cuda/lib64",
		"/usr/lib/wsl/lib",
	)
	// Versioned toolkits (/usr/local/cuda-13.0) when the /usr/local/cuda
	// link is missing, newest first.
	if m, _ := filepath.Glob("/usr/local/cuda-*/lib64"); len(m) > 0 {
		for i := len(m) - 1; i >= 0; i-- {
			dirs = append(dirs, m[i])
		}
	}
	return dirs
}

// openLibrary opens the first of names that loads, trying each name as
// given (the loader's search) and then in every library directory. The
// environment variable env may name a file to use instead. The error lists
// what was tried, so that "unavailable because ..." is actionable.
func openLibrary(env string, names []string) (uintptr, string, error) {
	if p := os.Getenv(env); p != "" {
		h, err := dlopen(p)
		if err != nil {
			return 0, "", fmt.Errorf("%s=%s: %w", env, p, err)
		}
		return h, p, nil
	}
	var errs []error
	for _, n := range names {
		h, err := dlopen(n)
		if err == nil {
			return h, n, nil
		}
		errs = append(errs, err)
	}
	for _, d := range libraryDirs() {
		for _, n := range names {
			p := filepath.Join(d, n)
			if _, err := os.Stat(p); err != nil {
				continue
			}
			h, err := dlopen(p)
			if err == nil {
				return h, p, nil
			}
			errs = append(errs, err)
		}
	}
	msg := fmt.Sprintf("%s not found (searched the loader path and %s; set %s to its path)",
		names[0], strings.Join(libraryDirs(), ", "), env)
	var loadErrs []string
	for _, e := range errs {
		if s := e.Error(); !strings.Contains(s, "No such file") && !strings.Contains(s, "cannot open shared object") {
			loadErrs = append(loadErrs, s)
		}
	}
	if len(loadErrs) > 0 {
		msg += ": " + strings.Join(loadErrs, "; ")
	}
	return 0, "", errors.New(msg)
}
