package main

import (
	"bufio"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"golang.org/x/term"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/core/gguf"
	"github.com/lbrx/lbrx/core/safetensors"
	"github.com/lbrx/lbrx/quant"
)

func init() {
	commands["dump"] = &command{
		summary: "write a tensor's values (dequantized where quantized) as float32 in row-major order",
		args:    []string{"PATH", "TENSOR"},
		setup:   dumpSetup,
	}
}

func dumpSetup(fs *flag.FlagSet) runFunc {
	format := fs.String("format", "f32", "f32: little-endian float32 bytes; text: one value a line")
	return func(pos []string, stdout, _ io.Writer) error {
		if *format != "f32" && *format != "text" {
			return usagef("--format %q is not f32 or text", *format)
		}
		if *format == "f32" && isTerminal(stdout) {
			return usagef("refusing to write binary float32 to a terminal (redirect it to a file or a pipe, or use --format text)")
		}
		if err := checkInput(pos[0], inputTensors); err != nil {
			return err
		}
		vals, err := dumpValues(pos[0], pos[1])
		if err != nil {
			return err
		}
		return writeValues(stdout, vals, *format)
	}
}

// isTerminal tells whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func writeValues(w io.Writer, vals []float32, format string) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	var b [4]byte
	for _, v := range vals {
		var err error
		if format == "text" {
			_, err = bw.WriteString(strconv.FormatFloat(float64(v), 'g', -1, 32) + "\n")
		} else {
			binary.LittleEndian.PutUint32(b[:], math.Float32bits(v))
			_, err = bw.Write(b[:])
		}
		if err != nil {
			return err
		}
	}
	return bw.Flush()
}

// dumpValues returns the named tensor's values as float32 in row-major
// order: GGUF tensors dequantized as ggml does, safetensors tensors
// converted from their dtype (FP8 included), and MLX-quantized layers
// (NAME.weight codes beside NAME.scales) dequantized with the bits and
// group size of the model's config.json.
func dumpValues(path, name string) ([]float32, error) {
	if format, err := sniff(path); err == nil && format == formatGGUF {
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
	if layer, ok := strings.CutSuffix(name, ".weight"); ok {
		if _, quantized := f.Info(layer + ".scales"); quantized {
			return dumpQuantized(path, name)
		}
	}
	t, err := f.Float32(name)
	if err != nil {
		return nil, err
	}
	return t.Values()
}

// dumpQuantized dequantizes an MLX-quantized layer.
func dumpQuantized(path, name string) ([]float32, error) {
	m, err := quant.LoadModel(path)
	if err != nil {
		return nil, fmt.Errorf("%s: tensor %q is MLX-quantized and cannot be dequantized: %w", path, name, err)
	}
	defer func() { _ = m.Close() }()
	q, ok := m.Tensors[name]
	if !ok || q.Quant() == nil {
		return nil, fmt.Errorf("%s: tensor %q has a .scales companion but is not a quantized layer", path, name)
	}
	d, err := quant.Dequantize(q)
	if err != nil {
		return nil, err
	}
	if d, err = core.CastOp(d, core.F32); err != nil {
		return nil, err
	}
	t, err := core.As[float32](d)
	if err != nil {
		return nil, err
	}
	return t.Values()
}
