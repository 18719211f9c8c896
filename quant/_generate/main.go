// Command _generate writes the assembly kernels of package quant that
// are regular enough to be written as loops (block_kernels*.s,
// block_decode_amd64.s, dot_amd64.s, half_kernels_*.s, int_kernels_*.s)
// rather than kept by hand. It lives in its own module, which the go
// tool skips (leading underscore), so the library does not depend on it.
//
//	go generate ./quant                 # rewrite the files in quant
//	GOWORK=off go run . -check -out ..  # fail if they differ
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// outputs maps each generated file name to its generator.
var outputs = map[string]func() string{
	"block_kernels_amd64.s":    blockKernelsAVX2,
	"block_kernels512_amd64.s": blockKernelsAVX512,
	"block_kernels_arm64.s":    blockKernelsNEON,
	"block_decode_amd64.s":     blockDecode,
	"dot_amd64.s":              dotAffine,
	"half_kernels_amd64.s":     halfKernels,
	"half_kernels_arm64.s":     halfKernelsNEON,
	"int_kernels_amd64.s":      intKernels,
	"int_kernels_arm64.s":      intKernelsSDOT,
	"int_gemm_amd64.s":         intGEMM,
}

func main() {
	out := flag.String("out", "..", "directory of package quant")
	check := flag.Bool("check", false, "compare with the files in -out instead of writing them")
	flag.Parse()
	if err := run(*out, *check); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(dir string, check bool) error {
	names := make([]string, 0, len(outputs))
	for n := range outputs {
		names = append(names, n)
	}
	sort.Strings(names)
	var stale []string
	for _, n := range names {
		text := []byte(outputs[n]())
		path := filepath.Join(dir, n)
		if !check {
			if err := os.WriteFile(path, text, 0o644); err != nil { //nolint:gosec // source files, world-readable like the rest of the tree
				return err
			}
			continue
		}
		have, err := os.ReadFile(path) //nolint:gosec // the package directory given by -out
		if err != nil {
			return err
		}
		if !bytes.Equal(have, text) {
			stale = append(stale, fmt.Sprintf("%s differs from its generator at line %d", path, firstDiffLine(have, text)))
		}
	}
	if len(stale) > 0 {
		for _, s := range stale {
			fmt.Fprintln(os.Stderr, s)
		}
		return fmt.Errorf("%d generated assembly file(s) out of date: run go generate ./quant", len(stale))
	}
	return nil
}

// firstDiffLine is the 1-based line of the first byte where a and b differ.
func firstDiffLine(a, b []byte) int {
	line := 1
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return line
		}
		if a[i] == '\n' {
			line++
		}
	}
	return line
}
