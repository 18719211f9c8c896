package main

import (
	"errors"
	"os"
	"path/filepath"
)

// repoRoot walks up from the working directory to the directory holding
// go.work: the repository root, where metal/shaders lives.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("shaderc: no go.work above the working directory: run it inside the lbrx repository")
		}
		dir = parent
	}
}

// shaderDir is metal/shaders of the repository.
func shaderDir() (string, error) {
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "metal", "shaders"), nil
}
