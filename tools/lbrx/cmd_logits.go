package main

import (
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/core/npy"
)

func init() {
	commands["logits"] = &command{
		summary: "run a prompt through a Llama model and write its float32 logits [len(ids), vocab] as .npy",
		args:    []string{"MODEL"},
		setup:   logitsSetup,
	}
}

func logitsSetup(fs *flag.FlagSet) runFunc {
	mf := addModelFlags(fs)
	out := fs.String("npy", "", "where to write the logits (.npy; - for stdout); required")
	force := fs.Bool("force", false, "overwrite an existing --npy file (never one of the inputs)")
	devices := addDevicesFlag(fs)
	return func(pos []string, stdout, stderr io.Writer) error {
		if *devices != "" {
			return runParallelLogits(mf, *devices, pos[0], *out, *force, stdout, stderr)
		}
		return runLogits(mf, pos[0], *out, *force, stdout, stderr)
	}
}

func runLogits(mf modelFlags, path, out string, force bool, stdout, stderr io.Writer) error {
	report, err := logitsOutput(path, out, force, stdout, stderr)
	if err != nil {
		return err
	}
	m, ids, err := mf.open(path)
	if err != nil {
		return err
	}
	defer func() { _ = m.Close() }()
	start := time.Now()
	logits, err := m.Forward(ids, nil)
	if err != nil {
		return err
	}
	return reportLogits(logits, start, out, m.Device().Name(), m.DType(), stdout, report)
}

// logitsOutput checks `lbrx logits`'s --npy destination out (for the
// model at path) and returns where the report lines go: stderr when
// stdout carries the .npy bytes.
func logitsOutput(path, out string, force bool, stdout, stderr io.Writer) (io.Writer, error) {
	if out == "" {
		return nil, usagef("--npy is required (a path, or - for standard output)")
	}
	if err := checkOutput("--npy", out, force, path); err != nil {
		return nil, err
	}
	if out == stdoutName {
		return stderr, nil
	}
	return stdout, nil
}

// reportLogits finishes `lbrx logits`: the logits as float32 on the host
// to out (the time since start covers the forward pass and this copy),
// then a line on what was written, the top-1 id per position and any CPU
// fallbacks to report. source names what ran the model.
func reportLogits(logits *core.Array, start time.Time, out, source string, dt core.DType, stdout, report io.Writer) error {
	logits, err := core.CastOp(logits, core.F32)
	if err != nil {
		return err
	}
	if logits, err = logits.To(core.CPU()); err != nil {
		return err
	}
	took := time.Since(start)
	if err := writeOutput(out, stdout, func(w io.Writer) error { return npy.Write(w, logits) }); err != nil {
		return err
	}
	top, err := core.ArgMaxOp(logits, -1, false)
	if err != nil {
		return err
	}
	tt, err := core.As[int64](top)
	if err != nil {
		return err
	}
	best, err := tt.Values()
	if err != nil {
		return err
	}
	fmt.Fprintf(report, "wrote %s: float32 logits %v from %s (%v activations) in %v\n", out, logits.Shape(), source, dt, took.Round(time.Microsecond))
	fmt.Fprintf(report, "top-1 per position: %v\n", best)
	if n := fallbackNote(); n != "" {
		fmt.Fprintln(report, n)
	}
	return nil
}
