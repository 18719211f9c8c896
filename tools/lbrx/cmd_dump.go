package main

import (
	"bufio"
	"encoding/binary"
	"io"
	"math"
	"os"

	"github.com/lbrx/lbrx/core/gguf"
	"github.com/lbrx/lbrx/core/safetensors"
)

func init() {
	commands["dump"] = command{summary: "write a tensor's values as little-endian float32 (row-major) to stdout", run: runDump}
}

func runDump(args []string, stdout, _ io.Writer) error {
	if len(args) != 2 {
		return usagef("usage: lbrx dump PATH TENSOR")
	}
	vals, err := dumpValues(args[0], args[1])
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(stdout, 1<<16)
	var b [4]byte
	for _, v := range vals {
		binary.LittleEndian.PutUint32(b[:], math.Float32bits(v))
		if _, err := w.Write(b[:]); err != nil {
			return err
		}
	}
	return w.Flush()
}

// dumpValues returns the named tensor's values as float32 in row-major
// order: GGUF tensors dequantized as ggml does, safetensors tensors
// converted from their dtype (FP8 included).
func dumpValues(path, name string) ([]float32, error) {
	if st, err := os.Stat(path); err == nil && !st.IsDir() && isGGUF(path) { //nolint:gosec // the user names the file to read
		f, err := gguf.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		t, err := f.Float32(name)
		if err != nil {
			return nil, err
		}
		return t.Values()
	}
	f, err := safetensors.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	t, err := f.Float32(name)
	if err != nil {
		return nil, err
	}
	return t.Values()
}
