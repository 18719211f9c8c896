package main

import (
	"fmt"
	"io"
	"time"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/core/npy"
)

func init() {
	commands["logits"] = command{
		summary: "run a prompt through a Llama model and write its logits: logits MODEL --ids 1,17,42 --npy OUT.npy [--device D]",
		run:     runLogits,
	}
}

const logitsUsage = "usage: lbrx logits MODEL --ids 1,17,42 --npy OUT.npy [--device D] [--dtype f32|f16|bf16]"

func runLogits(args []string, stdout, _ io.Writer) error {
	mf := newModelFlags("logits", logitsUsage)
	out := mf.fs.String("npy", "", "where to write the float32 logits [len(ids), vocab]")
	path, err := mf.parse(args)
	if err != nil {
		return err
	}
	if *out == "" {
		return usagef("--npy is required (%s)", logitsUsage)
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
	if logits, err = core.CastOp(logits, core.F32); err != nil {
		return err
	}
	if logits, err = logits.To(core.CPU()); err != nil {
		return err
	}
	took := time.Since(start)
	if err := npy.WriteFile(*out, logits); err != nil {
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
	fmt.Fprintf(stdout, "wrote %s: float32 logits %v from %s (%v activations) in %v\n", *out, logits.Shape(), m.Device().Name(), m.DType(), took.Round(time.Microsecond))
	fmt.Fprintf(stdout, "top-1 per position: %v\n", best)
	if n := fallbackNote(); n != "" {
		fmt.Fprintln(stdout, n)
	}
	return nil
}
