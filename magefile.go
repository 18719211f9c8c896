//go:build mage

// lbrx's build targets. Run them without installing mage:
//
//	go tool mage -l        # list targets
//	go tool mage test      # every module's tests
//	go tool mage ci        # what .ci/run runs
//
// Topic-specific targets live beside this file in magefile_*.go (same
// build tag), each in its own mg.Namespace.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/magefile/mage/mg"
	"github.com/magefile/mage/sh"
)

// golangciLint is the pinned linter version, fetched through the Go module
// proxy when it is not on PATH at that version.
const golangciLint = "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.15.0"

// modules lists the library and tool module directories of the workspace,
// relative to the root. The root module itself holds only build scripts and
// is left out.
func modules() ([]string, error) {
	out, err := sh.Output("go", "list", "-m", "-f", "{{.Dir}}")
	if err != nil {
		return nil, err
	}
	root, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	var mods []string
	for _, d := range strings.Fields(out) {
		rel, err := filepath.Rel(root, d)
		if err != nil {
			return nil, err
		}
		if rel != "." {
			mods = append(mods, rel)
		}
	}
	return mods, nil
}

// inDir runs a command in dir with stdout and stderr passed through.
func inDir(dir string, env map[string]string, cmd string, args ...string) error {
	c := exec.Command(cmd, args...)
	c.Dir = dir
	c.Stdout, c.Stderr = os.Stdout, os.Stderr
	c.Env = os.Environ()
	for k, v := range env {
		c.Env = append(c.Env, k+"="+v)
	}
	fmt.Printf("[%s] %s %s\n", dir, cmd, strings.Join(args, " "))
	return c.Run()
}

// Test runs every module's tests, core and quant again with the noasm tag,
// and core under the race detector (which enables checkptr).
func Test() error {
	mods, err := modules()
	if err != nil {
		return err
	}
	for _, m := range mods {
		if err := inDir(m, nil, "go", "test", "-count=1", "./..."); err != nil {
			return fmt.Errorf("tests of %s: %w", m, err)
		}
	}
	// The portable Go kernels behind the assembly, exactly as a build with
	// the noasm tag (or an unsupported GOARCH) gets them.
	for _, m := range []string{"core", "quant"} {
		if err := inDir(m, nil, "go", "test", "-count=1", "-tags", "noasm", "./..."); err != nil {
			return fmt.Errorf("noasm tests of %s: %w", m, err)
		}
	}
	// The race detector needs cgo and so a C compiler; a machine with only
	// Go runs everything else and says what it skipped.
	if _, err := exec.LookPath("gcc"); err != nil {
		fmt.Println("skipping the -race run of core: it needs a C compiler (Debian package gcc)")
		return nil
	}
	return inDir("core", map[string]string{"CGO_ENABLED": "1"}, "go", "test", "-count=1", "-race", "-short", "./...")
}

// Lint runs go vet and golangci-lint in every module (golangci-lint does
// not lint a go.work root by itself). A golangci-lint on PATH is used when
// it is the pinned version; otherwise the pinned one is run through go run.
func Lint() error {
	mods, err := modules()
	if err != nil {
		return err
	}
	lint := []string{"go", "run", golangciLint}
	if p, err := exec.LookPath("golangci-lint"); err == nil {
		if v, _ := sh.Output(p, "version"); strings.Contains(v, "version 2.15.0") {
			lint = []string{p}
		}
	}
	for _, m := range mods {
		if err := inDir(m, nil, "go", "vet", "./..."); err != nil {
			return err
		}
		args := append(lint[1:len(lint):len(lint)], "run", "--config", filepath.Join(relRoot(m), ".golangci.yml"), "./...")
		if err := inDir(m, nil, lint[0], args...); err != nil {
			return fmt.Errorf("lint of %s: %w", m, err)
		}
	}
	return nil
}

// relRoot returns the path from module dir m back to the repository root.
func relRoot(m string) string {
	return strings.Repeat("../", strings.Count(filepath.ToSlash(m), "/")+1)
}

// Build builds every module for this machine and cross-builds, vets and
// compiles the tests of every module for darwin/arm64 and darwin/amd64
// with cgo off, as a Mac user would get them.
func Build() error {
	mods, err := modules()
	if err != nil {
		return err
	}
	for _, m := range mods {
		// -o DevNull: build only; a bare go build would drop a binary into
		// tools/lbrx and tools/shaderc.
		if err := inDir(m, nil, "go", "build", "-o", os.DevNull, "./..."); err != nil {
			return err
		}
		for _, arch := range []string{"arm64", "amd64"} {
			env := map[string]string{"GOOS": "darwin", "GOARCH": arch, "CGO_ENABLED": "0"}
			if err := inDir(m, env, "go", "build", "-o", os.DevNull, "./..."); err != nil {
				return fmt.Errorf("darwin/%s build of %s: %w", arch, m, err)
			}
			if err := inDir(m, env, "go", "vet", "./..."); err != nil {
				return fmt.Errorf("darwin/%s vet of %s: %w", arch, m, err)
			}
			if err := inDir(m, env, "go", "test", "-c", "-o", os.DevNull, "./..."); err != nil {
				return fmt.Errorf("darwin/%s test build of %s: %w", arch, m, err)
			}
		}
	}
	return nil
}

// Demo runs the main job end to end on the default device.
func Demo() error { return sh.RunV("go", "run", "./tools/lbrx", "demo") }

// CI runs what .ci/run runs: the test suite, build (with the darwin
// cross-builds), lint, and the checks other targets add (CIExtras).
func CI() {
	mg.SerialDeps(Test, Build, Lint, CIExtras)
}

// CIExtras runs the topic checks that magefile_*.go files register: the
// Metal kernel check, bounded fuzzing, the arm64 kernels under emulation.
func CIExtras() {
	mg.SerialDeps(ciExtras...)
}

// ciExtras are further CI steps that topic magefiles append from init.
var ciExtras []any
