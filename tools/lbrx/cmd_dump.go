package main

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/lbrx/lbrx/core"
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
// converted from their dtype.
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
	a, err := f.Array(name)
	if err != nil {
		return nil, err
	}
	return toFloat32(a)
}

func toFloat32(a *core.Array) ([]float32, error) {
	switch a.DType() {
	case core.F32:
		return convert(a, func(v float32) float32 { return v })
	case core.F64:
		return convert(a, func(v float64) float32 { return float32(v) })
	case core.F16:
		return convert(a, func(v core.Float16) float32 { return v.Float32() })
	case core.BF16:
		return convert(a, func(v core.BFloat16) float32 { return v.Float32() })
	case core.I8:
		return convert(a, func(v int8) float32 { return float32(v) })
	case core.U8:
		return convert(a, func(v uint8) float32 { return float32(v) })
	case core.I16:
		return convert(a, func(v int16) float32 { return float32(v) })
	case core.I32:
		return convert(a, func(v int32) float32 { return float32(v) })
	case core.I64:
		return convert(a, func(v int64) float32 { return float32(v) })
	case core.U32:
		return convert(a, func(v uint32) float32 { return float32(v) })
	case core.Bool:
		return convert(a, func(v bool) float32 {
			if v {
				return 1
			}
			return 0
		})
	}
	return nil, fmt.Errorf("tensor %q: dtype %v cannot be dumped as float32", a.Name(), a.DType())
}

func convert[T core.Element](a *core.Array, f func(T) float32) ([]float32, error) {
	t, err := core.As[T](a)
	if err != nil {
		return nil, err
	}
	v, err := t.Values()
	if err != nil {
		return nil, err
	}
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = f(x)
	}
	return out, nil
}
