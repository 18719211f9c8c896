package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/lbrx/lbrx/metal"
)

// toolError says which Apple tool is missing and how to install it.
type toolError struct{ msg string }

func (e *toolError) Error() string { return e.msg }

// installHelp is what to do when Apple's Metal compiler cannot run.
const installHelp = `shaderc build needs Apple's Metal compiler, which only runs on macOS:
  1. Install Xcode (the App Store, or https://developer.apple.com/xcode/);
     the Command Line Tools alone do not include "metal".
  2. Select it:   sudo xcode-select -s /Applications/Xcode.app/Contents/Developer
  3. Xcode 16.3 and later ship the Metal toolchain separately:
                  xcodebuild -downloadComponent MetalToolchain
Then run "go tool mage shaders:build" again. Without a metallib, lbrx compiles
the embedded kernel sources at run time (slower first start, same kernels).`

// tools runs Apple's compilers; lookTools is the real one, tests replace it.
type tools struct {
	// xcrun runs `xcrun args...` and returns its combined output.
	xcrun func(args ...string) ([]byte, error)
}

func lookTools() (tools, error) {
	if _, err := exec.LookPath("xcrun"); err != nil {
		return tools{}, &toolError{"xcrun not found.\n" + installHelp}
	}
	return tools{xcrun: func(args ...string) ([]byte, error) {
		return exec.Command("xcrun", args...).CombinedOutput() //nolint:gosec // runs Apple's compiler with arguments shaderc builds
	}}, nil
}

// metalFlags: fixed language version, fast math off (kernels are checked
// against IEEE references), warnings on.
var metalFlags = []string{"-std=" + metal.LanguageVersion, "-fno-fast-math", "-Wall", "-Wextra", "-O2"}

// build compiles every .metal of dir to .air, links them into
// dir/lbrx.metallib and writes dir/manifest.json with the SHA-256 of each
// source and of the metallib.
func build(dir string, look func() (tools, error), stderr io.Writer) error {
	t, err := look()
	if err != nil {
		return err
	}
	if out, err := t.xcrun("-sdk", "macosx", "-f", "metal"); err != nil {
		return &toolError{fmt.Sprintf("xcrun cannot find the metal compiler: %s\n%s", strings.TrimSpace(string(out)), installHelp)}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("shaderc build: %w", err)
	}
	sources := map[string][]byte{}
	var metals []string
	for _, e := range entries {
		if e.IsDir() || !metal.IsSource(e.Name()) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name())) //nolint:gosec // the shader directory the user named
		if err != nil {
			return err
		}
		sources[e.Name()] = b
		if strings.HasSuffix(e.Name(), ".metal") {
			metals = append(metals, e.Name())
		}
	}
	slices.Sort(metals)
	if len(metals) == 0 {
		return fmt.Errorf("shaderc build: no .metal files in %s", dir)
	}
	work, err := os.MkdirTemp("", "lbrx-metal-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(work) }()
	var airs []string
	for _, m := range metals {
		air := filepath.Join(work, strings.TrimSuffix(m, ".metal")+".air")
		args := append([]string{"-sdk", "macosx", "metal", "-c"}, metalFlags...)
		args = append(args, "-I", dir, filepath.Join(dir, m), "-o", air)
		if out, err := t.xcrun(args...); err != nil {
			if strings.Contains(string(out), "MetalToolchain") || strings.Contains(string(out), "unable to find utility") {
				return &toolError{fmt.Sprintf("compiling %s: %s\n%s", m, strings.TrimSpace(string(out)), installHelp)}
			}
			return fmt.Errorf("shaderc build: compiling %s: %w\n%s", m, err, out)
		}
		airs = append(airs, air)
	}
	lib := filepath.Join(dir, metal.MetallibFile)
	if out, err := t.xcrun(append(append([]string{"-sdk", "macosx", "metallib"}, airs...), "-o", lib)...); err != nil {
		return fmt.Errorf("shaderc build: linking %s: %w\n%s", lib, err, out)
	}
	libBytes, err := os.ReadFile(lib) //nolint:gosec // the metallib this build just wrote
	if err != nil {
		return fmt.Errorf("shaderc build: %w", err)
	}
	raw, err := json.MarshalIndent(metal.NewManifest(sources, libBytes), "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, metal.ManifestFile), append(raw, '\n'), 0o600); err != nil { //nolint:gosec // the shader directory the user named
		return err
	}
	fmt.Fprintf(stderr, "shaderc build: %s (%d bytes) from %d files; manifest %s\n", lib, len(libBytes), len(metals), metal.ManifestFile)
	return nil
}
