package metal

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log"
	"maps"
	"path"
	"slices"
	"strings"
	"sync"
)

// The kernel sources, and the metallib with its manifest when
// `go tool mage shaders:build` made them on a Mac.
//
//go:embed shaders
var shaderFS embed.FS

// shaderRoot is the embedded directory of the shader files.
const shaderRoot = "shaders"

// Files of the shader directory that the build and the manifest know.
const (
	ManifestFile = "manifest.json"
	MetallibFile = "lbrx.metallib"
	// LanguageVersion is the fixed MSL version of both the offline build
	// and the run-time compile.
	LanguageVersion = "metal3.0"
)

// Manifest records what a metallib was built from: the SHA-256 of every
// source file (.metal and .h) and of the metallib itself.
type Manifest struct {
	Std      string            `json:"std"`
	Sources  map[string]string `json:"sources"`
	Metallib string            `json:"metallib_sha256"`
}

// NewManifest returns the manifest of a metallib built from sources (file
// name to contents).
func NewManifest(sources map[string][]byte, metallib []byte) Manifest {
	m := Manifest{Std: LanguageVersion, Sources: map[string]string{}, Metallib: hexSum(metallib)}
	for name, b := range sources {
		m.Sources[name] = hexSum(b)
	}
	return m
}

func hexSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// IsSource reports whether a file of the shader directory is kernel source.
func IsSource(name string) bool {
	return strings.HasSuffix(name, ".metal") || strings.HasSuffix(name, ".h")
}

// Library is what the Metal context loads: the metallib when it is current,
// otherwise the source to compile at run time, and why.
type Library struct {
	Metallib []byte // nil: compile Source
	Source   string // every kernel in one translation unit
	Reason   string // why the metallib is not used; empty when it is
}

var (
	libOnce sync.Once
	lib     Library
	errLib  error
)

// Load returns the embedded library, deciding once per process between the
// metallib and a run-time compile of the sources; the reason for a
// run-time compile is logged once.
func Load() (Library, error) {
	libOnce.Do(func() {
		lib, errLib = chooseLibrary(shaderFS)
		if errLib == nil && lib.Reason != "" {
			log.Printf("metal: compiling kernels from source at run time: %s", lib.Reason)
		}
	})
	return lib, errLib
}

// chooseLibrary decides, from the files under shaders/ of fsys, whether the
// metallib is current: it is used only when a manifest exists, lists
// exactly the embedded sources with their SHA-256, and matches the
// metallib's own SHA-256.
func chooseLibrary(fsys fs.FS) (Library, error) {
	const dir = shaderRoot
	sources, err := readSources(fsys, dir)
	if err != nil {
		return Library{}, err
	}
	src, err := Combine(sources)
	if err != nil {
		return Library{}, err
	}
	l := Library{Source: src}
	metallib, err := fs.ReadFile(fsys, path.Join(dir, MetallibFile))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return Library{}, fmt.Errorf("metal: reading the embedded metallib: %w", err)
	}
	if metallib == nil {
		l.Reason = "no metallib embedded (run `go tool mage shaders:build` on a Mac with Xcode)"
		return l, nil
	}
	raw, err := fs.ReadFile(fsys, path.Join(dir, ManifestFile))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return Library{}, fmt.Errorf("metal: reading the embedded %s: %w", ManifestFile, err)
	}
	if raw == nil {
		l.Reason = "metallib has no " + ManifestFile
		return l, nil
	}
	var m Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		l.Reason = fmt.Sprintf("%s is not valid JSON: %v", ManifestFile, err)
		return l, nil
	}
	if reason := stale(m, NewManifest(sources, metallib)); reason != "" {
		l.Reason = reason
		return l, nil
	}
	l.Metallib = metallib
	return l, nil
}

// stale compares a recorded manifest with the one of the embedded files and
// says what differs ("" when nothing does).
func stale(recorded, current Manifest) string {
	if recorded.Std != current.Std {
		return fmt.Sprintf("metallib was built for %q, kernels need %q", recorded.Std, current.Std)
	}
	if recorded.Metallib != current.Metallib {
		return "metallib does not match the SHA-256 in " + ManifestFile
	}
	for _, name := range slices.Sorted(maps.Keys(current.Sources)) {
		h, ok := recorded.Sources[name]
		switch {
		case !ok:
			return "metallib is stale: " + name + " was added since it was built"
		case h != current.Sources[name]:
			return "metallib is stale: " + name + " changed since it was built"
		}
	}
	for _, name := range slices.Sorted(maps.Keys(recorded.Sources)) {
		if _, ok := current.Sources[name]; !ok {
			return "metallib is stale: " + name + " was removed since it was built"
		}
	}
	return ""
}

func readSources(fsys fs.FS, dir string) (map[string][]byte, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("metal: reading kernel sources: %w", err)
	}
	out := map[string][]byte{}
	for _, e := range entries {
		if e.IsDir() || !IsSource(e.Name()) {
			continue
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("metal: reading kernel source %s: %w", e.Name(), err)
		}
		out[e.Name()] = b
	}
	return out, nil
}

// Source returns every embedded kernel as one MSL translation unit, as the
// run-time compile takes it.
func Source() (string, error) {
	sources, err := readSources(shaderFS, shaderRoot)
	if err != nil {
		return "", err
	}
	return Combine(sources)
}

// Combine concatenates the .metal files (sorted by name) with each local
// #include "x.h" replaced by x.h's text the first time and dropped after,
// so that newLibraryWithSource, which cannot open files, gets one unit.
func Combine(sources map[string][]byte) (string, error) {
	var out bytes.Buffer
	done := map[string]bool{}
	var include func(name string, stack []string) error
	include = func(name string, stack []string) error {
		if done[name] {
			return nil
		}
		if slices.Contains(stack, name) {
			return fmt.Errorf("metal: kernel sources: include cycle %s -> %s", strings.Join(stack, " -> "), name)
		}
		text, ok := sources[name]
		if !ok {
			return fmt.Errorf("metal: kernel sources: %s includes %q, which is not in metal/shaders", stack[len(stack)-1], name)
		}
		fmt.Fprintf(&out, "// ---- %s\n", name)
		for line := range strings.Lines(string(text)) {
			if inc, ok := localInclude(line); ok {
				if err := include(inc, append(stack, name)); err != nil {
					return err
				}
				continue
			}
			out.WriteString(line)
		}
		if !bytes.HasSuffix(out.Bytes(), []byte("\n")) {
			out.WriteByte('\n')
		}
		done[name] = true
		return nil
	}
	for _, name := range slices.Sorted(maps.Keys(sources)) {
		if strings.HasSuffix(name, ".metal") {
			if err := include(name, nil); err != nil {
				return "", err
			}
		}
	}
	return out.String(), nil
}

// localInclude parses `#include "name"`.
func localInclude(line string) (string, bool) {
	s := strings.TrimSpace(line)
	if !strings.HasPrefix(s, "#") {
		return "", false
	}
	s = strings.TrimSpace(s[1:])
	rest, ok := strings.CutPrefix(s, "include")
	if !ok {
		return "", false
	}
	rest = strings.TrimSpace(rest)
	if len(rest) < 2 || rest[0] != '"' {
		return "", false
	}
	name, _, ok := strings.Cut(rest[1:], `"`)
	return name, ok
}
