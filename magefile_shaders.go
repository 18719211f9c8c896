//go:build mage

package main

import (
	"github.com/magefile/mage/mg"
	"github.com/magefile/mage/sh"
)

// Shaders builds and checks the Metal kernels in metal/shaders.
type Shaders mg.Namespace

// Build compiles metal/shaders/*.metal into metal/shaders/lbrx.metallib and
// its manifest with Apple's tools (macOS with Xcode only).
func (Shaders) Build() error { return sh.RunV("go", "run", "./tools/shaderc", "build") }

// Check compiles every Metal kernel as C++ and runs it on an emulated
// compute grid against the CPU reference (needs g++; any OS).
func (Shaders) Check() error { return sh.RunV("go", "run", "./tools/shaderc", "check") }

func init() { ciExtras = append(ciExtras, Shaders.Check) }
