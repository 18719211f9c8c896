package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/lbrx/lbrx/core/gguf"
)

// inputKind is what a command needs its input path to be.
type inputKind int

const (
	// inputModel is a safetensors model: a directory holding *.safetensors
	// (and config.json), or a .safetensors file.
	inputModel inputKind = iota
	// inputTensors is any tensor file lbrx reads: a model directory, a
	// .safetensors file or a .gguf file.
	inputTensors
	// inputRunnable is a model lbrx runs: a safetensors model or a GGUF
	// model file.
	inputRunnable
)

// fileFormat is a file's format told by its first bytes, not its name.
type fileFormat int

const (
	formatUnknown fileFormat = iota
	formatGGUF
	formatSafetensors
)

// sniff tells a file's format from its first bytes: the GGUF magic, or a
// safetensors header (an 8-byte little-endian length no larger than the
// file, then '{' after optional JSON whitespace).
func sniff(path string) (fileFormat, error) {
	f, err := os.Open(path) //nolint:gosec // the user names the file to read
	if err != nil {
		return formatUnknown, err
	}
	defer func() { _ = f.Close() }()
	st, err := f.Stat()
	if err != nil {
		return formatUnknown, err
	}
	var b [64]byte
	n, err := io.ReadFull(f, b[:])
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return formatUnknown, err
	}
	if n >= 4 && string(b[:4]) == gguf.Magic {
		return formatGGUF, nil
	}
	if n >= 9 {
		hl := binary.LittleEndian.Uint64(b[:8])
		body := strings.TrimLeft(string(b[8:n]), " \t\r\n")
		if hl >= 2 && hl <= uint64(st.Size()-8) && strings.HasPrefix(body, "{") {
			return formatSafetensors, nil
		}
	}
	return formatUnknown, nil
}

// checkInput finds what is wrong with an input path before a command
// reads it, judging files by their content: a missing path, a permission
// problem, a directory without .safetensors files, a file that is
// neither GGUF nor safetensors whatever its name says, a GGUF file where
// a safetensors model is needed. Every message names the path.
func checkInput(path string, kind inputKind) error {
	st, err := os.Stat(path) //nolint:gosec // the user names the input
	if err != nil {
		return pathError(path, err)
	}
	if st.IsDir() {
		ents, err := os.ReadDir(path)
		if err != nil {
			return pathError(path, err)
		}
		for _, e := range ents {
			if strings.HasSuffix(e.Name(), ".safetensors") {
				return nil
			}
		}
		return fmt.Errorf("%s is a directory without .safetensors files (need a model directory: config.json beside model*.safetensors%s)",
			path, map[bool]string{true: ", or a .safetensors or .gguf file", false: ", or a .safetensors file"}[kind != inputModel])
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file or a directory", path)
	}
	format, err := sniff(path)
	if err != nil {
		return pathError(path, err)
	}
	switch {
	case format == formatGGUF && kind == inputModel:
		return fmt.Errorf("%s is a GGUF file; this command needs a safetensors model (a directory with config.json and *.safetensors, or a .safetensors file)", path)
	case format != formatUnknown:
		return nil
	case strings.EqualFold(filepath.Ext(path), ".gguf"):
		return fmt.Errorf("%s is not a GGUF file (it does not start with the magic %q)", path, gguf.Magic)
	case strings.EqualFold(filepath.Ext(path), ".safetensors"):
		return fmt.Errorf("%s is not a safetensors file (no 8-byte header length followed by a JSON object)", path)
	}
	return fmt.Errorf("%s is neither a GGUF nor a safetensors file", path)
}

// pathError words an OS error on path as "PATH: permission denied".
func pathError(path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", path, pe.Err)
	}
	return fmt.Errorf("%s: %w", path, err)
}
