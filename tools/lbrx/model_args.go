package main

import (
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/models/llama"
)

// modelFlags are the flags shared by the commands that run a model, on
// the command's flag set.
type modelFlags struct {
	fs     *flag.FlagSet
	usage  string
	ids    *string
	device *string
	dtype  *string
}

// newModelFlags starts the flag set of a model command; the command adds
// its own flags to fs before parse.
func newModelFlags(name, usage string) modelFlags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return modelFlags{
		fs:     fs,
		usage:  usage,
		ids:    fs.String("ids", "", "prompt token ids, comma-separated (e.g. 1,17,42)"),
		device: fs.String("device", "", "device to run on (default: the best available, or LBRX_DEVICE)"),
		dtype:  fs.String("dtype", "", "activation dtype f32, f16 or bf16 (default: the model's)"),
	}
}

// parse parses args (flags and the MODEL path in any order) and returns
// the path.
func (f modelFlags) parse(args []string) (string, error) {
	pos, err := parseMixed(f.fs, args)
	if err != nil {
		return "", usagef("%v (%s)", err, f.usage)
	}
	if len(pos) != 1 {
		return "", usagef("need exactly one MODEL path, got %d arguments (%s)", len(pos), f.usage)
	}
	return pos[0], nil
}

// parseIDs reads "1,17,42".
func parseIDs(s string) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, usagef("--ids is required (e.g. --ids 1,17,42)")
	}
	var ids []int
	for f := range strings.SplitSeq(s, ",") {
		id, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || id < 0 {
			return nil, usagef("--ids: %q is not a non-negative token id", f)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// open resolves the flags and loads the model at path.
func (f modelFlags) open(path string) (*llama.Model, []int, error) {
	ids, err := parseIDs(*f.ids)
	if err != nil {
		return nil, nil, err
	}
	m, err := f.load(path)
	if err != nil {
		return nil, nil, err
	}
	return m, ids, nil
}

// load resolves --device and --dtype and loads the model at path.
func (f modelFlags) load(path string) (*llama.Model, error) {
	var dt core.DType
	switch *f.dtype {
	case "":
	case "f32", "float32":
		dt = core.F32
	case "f16", "float16":
		dt = core.F16
	case "bf16", "bfloat16":
		dt = core.BF16
	default:
		return nil, usagef("--dtype %q is not f32, f16 or bf16", *f.dtype)
	}
	dev, err := pickDevice(*f.device)
	if err != nil {
		return nil, err
	}
	return llama.Load(path, llama.Options{Device: dev, DType: dt})
}

// fallbackNote reports the ops a device ran on the CPU, if any.
func fallbackNote() string {
	if fb := core.Fallbacks(); len(fb) > 0 {
		return fmt.Sprintf("CPU fallbacks: %v", fb)
	}
	return ""
}
