package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/lbrx/lbrx/metal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBuildWithoutXcodeSaysWhatToInstall(t *testing.T) {
	if runtime.GOOS == "darwin" {
		if _, err := exec.LookPath("xcrun"); err == nil {
			t.Skip("xcrun is installed here; the missing-tool path is tested on other systems")
		}
	}
	var stderr bytes.Buffer
	code := run([]string{"build", "-dir", t.TempDir()}, &stderr)
	assert.Equal(t, 1, code)
	for _, want := range []string{"Xcode", "xcode-select", "xcodebuild -downloadComponent MetalToolchain"} {
		assert.Contains(t, stderr.String(), want)
	}
}

func TestBuildReportsMissingMetalToolchain(t *testing.T) {
	fake := func() (tools, error) {
		return tools{xcrun: func(args ...string) ([]byte, error) {
			if strings.Join(args, " ") == "-sdk macosx -f metal" {
				return []byte(`xcrun: error: unable to find utility "metal", not a developer tool or in PATH`), errors.New("exit status 72")
			}
			return nil, nil
		}}, nil
	}
	err := build(t.TempDir(), fake, &bytes.Buffer{})
	var te *toolError
	require.ErrorAs(t, err, &te)
	assert.Contains(t, err.Error(), "unable to find utility")
	assert.Contains(t, err.Error(), "downloadComponent MetalToolchain")
}

// TestBuildWritesMetallibAndManifest drives build with a fake xcrun that
// records the commands and writes the outputs they name.
func TestBuildWritesMetallibAndManifest(t *testing.T) {
	dir := t.TempDir()
	srcs := map[string]string{"a.metal": "kernel void a() {}", "b.metal": "kernel void b() {}", "x.h": "//"}
	for n, s := range srcs {
		require.NoError(t, os.WriteFile(filepath.Join(dir, n), []byte(s), 0o600))
	}
	var calls []string
	fake := func() (tools, error) {
		return tools{xcrun: func(args ...string) ([]byte, error) {
			calls = append(calls, strings.Join(args, " "))
			for i, a := range args {
				if a == "-o" {
					return nil, os.WriteFile(args[i+1], []byte("lib:"+args[2]), 0o600)
				}
			}
			return nil, nil
		}}, nil
	}
	require.NoError(t, build(dir, fake, &bytes.Buffer{}))
	require.Len(t, calls, 4)
	assert.Contains(t, calls[1], "metal -c -std=metal3.0 -fno-fast-math")
	assert.Contains(t, calls[1], "a.metal")
	assert.Contains(t, calls[3], "-sdk macosx metallib")
	lib, err := os.ReadFile(filepath.Join(dir, metal.MetallibFile))
	require.NoError(t, err)
	raw, err := os.ReadFile(filepath.Join(dir, metal.ManifestFile))
	require.NoError(t, err)
	var m metal.Manifest
	require.NoError(t, json.Unmarshal(raw, &m))
	want := map[string][]byte{}
	for n, s := range srcs {
		want[n] = []byte(s)
	}
	assert.Equal(t, metal.NewManifest(want, lib), m)
}
