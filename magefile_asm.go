//go:build mage

package main

import "github.com/magefile/mage/mg"

// Asm checks the generated assembly kernels.
type Asm mg.Namespace

// Check regenerates quant's unrolled assembly (quant/_generate, its own
// module, hence GOWORK=off) and fails if a committed .s file differs.
func (Asm) Check() error {
	return inDir("quant/_generate", map[string]string{"GOWORK": "off"}, "go", "run", ".", "-check", "-out", "..")
}

func init() { ciExtras = append(ciExtras, Asm.Check) }
