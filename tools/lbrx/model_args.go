package main

import (
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/models/llama"
)

// modelFlags are the flags shared by the commands that run a model.
type modelFlags struct {
	ids    *string
	device *string
	dtype  *string
}

// addModelFlags declares the model flags on a command's flag set.
func addModelFlags(fs *flag.FlagSet) modelFlags {
	return modelFlags{
		ids:    fs.String("ids", "", "prompt token ids, comma-separated (e.g. 1,17,42); required"),
		device: fs.String("device", "", "device to run on (default: the best available, or LBRX_DEVICE)"),
		dtype:  fs.String("dtype", "", "activation dtype f32, f16 or bf16 (default: the model's)"),
	}
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
	dt, err := f.activationDType()
	if err != nil {
		return nil, err
	}
	dev, err := pickDevice(*f.device)
	if err != nil {
		return nil, err
	}
	if err := checkInput(path, inputRunnable); err != nil {
		return nil, err
	}
	return llama.Load(path, llama.Options{Device: dev, DType: dt})
}

// activationDType resolves --dtype (Invalid: the model's).
func (f modelFlags) activationDType() (core.DType, error) {
	switch *f.dtype {
	case "":
		return core.Invalid, nil
	case "f32", "float32":
		return core.F32, nil
	case "f16", "float16":
		return core.F16, nil
	case "bf16", "bfloat16":
		return core.BF16, nil
	}
	return core.Invalid, usagef("--dtype %q is not f32, f16 or bf16", *f.dtype)
}

// fallbackNote reports the ops a device ran on the CPU, if any.
func fallbackNote() string {
	if fb := core.Fallbacks(); len(fb) > 0 {
		return fmt.Sprintf("CPU fallbacks: %v", fb)
	}
	return ""
}
