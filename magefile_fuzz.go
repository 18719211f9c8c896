//go:build mage

package main

import (
	"github.com/magefile/mage/mg"
)

// Fuzz runs the model-file parsers' fuzz targets for a bounded time each.
type Fuzz mg.Namespace

// fuzzTargets are the parser fuzz targets: package (in core), target
// and budget. The budgets are execution counts, not durations: with a
// duration, Go 1.26's fuzzing coordinator can fail a clean run with a
// bare "context deadline exceeded" when its deadline races a worker's
// shutdown (go.dev/issue/75804, fixed in Go 1.27; seen here on FuzzRead).
// Each count is about 20 s of fuzzing on the 2-core development machine.
var fuzzTargets = [][3]string{
	{"./safetensors", "FuzzReadHeader", "100000x"},
	{"./gguf", "FuzzParse", "200000x"},
	{"./npy", "FuzzRead", "300000x"},
}

// Parsers runs every parser fuzz target for its budget (seeded with the
// shared test files and hand-made broken files). A finding is saved
// under the package's testdata/fuzz and fails the run.
func (Fuzz) Parsers() error {
	for _, t := range fuzzTargets {
		err := inDir("core", nil, "go", "test", "-count=1", "-run", "^$", "-fuzz", "^"+t[1]+"$", "-fuzztime", t[2], t[0])
		if err != nil {
			return err
		}
	}
	return nil
}

func init() { ciExtras = append(ciExtras, Fuzz.Parsers) }
