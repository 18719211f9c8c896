//go:build mage

package main

import (
	"github.com/magefile/mage/mg"
)

// Fuzz runs the model-file parsers' fuzz targets for a bounded time each.
type Fuzz mg.Namespace

// fuzzTargets are the parser fuzz targets: package (in core) and target.
var fuzzTargets = [][2]string{
	{"./safetensors", "FuzzReadHeader"},
	{"./gguf", "FuzzParse"},
	{"./npy", "FuzzRead"},
}

// fuzzTime bounds each target's run in CI.
const fuzzTime = "20s"

// Parsers runs every parser fuzz target for 20s (seeded with the shared
// test files and hand-made broken files). A finding is saved under the
// package's testdata/fuzz and fails the run.
func (Fuzz) Parsers() error {
	for _, t := range fuzzTargets {
		err := inDir("core", nil, "go", "test", "-count=1", "-run", "^$", "-fuzz", "^"+t[1]+"$", "-fuzztime", fuzzTime, t[0])
		if err != nil {
			return err
		}
	}
	return nil
}

func init() { ciExtras = append(ciExtras, Fuzz.Parsers) }
