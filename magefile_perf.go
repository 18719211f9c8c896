//go:build mage

package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/magefile/mage/mg"
	"github.com/magefile/mage/sh"
)

// Perf holds the CPU-kernel targets that need more than `go test`.
type Perf mg.Namespace

func init() { ciExtras = append(ciExtras, Perf.Arm64) }

// arm64Packages are the packages (module directory, package path) with
// arm64 assembly (or arm64 fallbacks) whose tests run under emulation.
var arm64Packages = []struct{ module, pkg string }{
	{"core", "./internal/gemm"}, {"core", "./internal/vec"}, {"quant", "."},
}

// Arm64 cross-compiles the CPU kernel tests for linux/arm64 and runs them
// under qemu-user (Debian's qemu-user-static, installed with apt-get when
// missing and running as root), so the NEON path that Apple silicon uses
// is exercised on this amd64 machine too.
func (Perf) Arm64() error {
	qemu, err := ensureQemu()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "lbrx-arm64-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	for _, p := range arm64Packages {
		bin := filepath.Join(dir, filepath.Base(filepath.Join(p.module, p.pkg))+".test")
		env := map[string]string{"GOOS": "linux", "GOARCH": "arm64", "CGO_ENABLED": "0"}
		if err := inDir(p.module, env, "go", "test", "-c", "-o", bin, p.pkg); err != nil {
			return fmt.Errorf("arm64 test build of %s: %w", p.pkg, err)
		}
		// The test binary runs from its package directory, as go test does.
		if err := inDir(filepath.Join(p.module, p.pkg), nil, qemu, bin, "-test.count=1", "-test.short"); err != nil {
			return fmt.Errorf("arm64 tests of %s under %s: %w", p.pkg, qemu, err)
		}
	}
	return nil
}

// ensureQemu returns the qemu-aarch64-static path, installing Debian's
// qemu-user-static first when it is missing and we are root.
func ensureQemu() (string, error) {
	if p, err := exec.LookPath("qemu-aarch64-static"); err == nil {
		return p, nil
	}
	if os.Geteuid() != 0 {
		return "", errors.New("qemu-aarch64-static not found: install Debian's qemu-user-static (apt-get install qemu-user-static) or run as root")
	}
	env := map[string]string{"DEBIAN_FRONTEND": "noninteractive"}
	if err := sh.RunWithV(env, "apt-get", "update"); err != nil {
		return "", fmt.Errorf("apt-get update: %w", err)
	}
	if err := sh.RunWithV(env, "apt-get", "install", "-y", "--no-install-recommends", "qemu-user-static"); err != nil {
		return "", fmt.Errorf("installing qemu-user-static: %w", err)
	}
	return exec.LookPath("qemu-aarch64-static")
}
