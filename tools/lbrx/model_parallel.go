package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/cuda"
	"github.com/lbrx/lbrx/models/llama"
)

// Tensor parallelism from the command line: --devices names one device
// per rank. CUDA GPUs talk through NCCL; CPU ranks ("cpu,cpu") run in
// this process and meet in shared memory (core.LocalGroup), which makes
// the path usable, and testable, without GPUs.

// addDevicesFlag declares --devices on a command that runs a model.
func addDevicesFlag(fs *flag.FlagSet) *string {
	return fs.String("devices", "", "split the model over these devices, one tensor-parallel rank each: cuda:0,cuda:1[,...] (NCCL) or cpu,cpu[,...] (ranks in this process)")
}

// parseDevices resolves --devices: all CUDA GPUs, each once, or all CPU
// ranks.
func parseDevices(s string) ([]core.Device, error) {
	names := strings.Split(s, ",")
	for i := range names {
		names[i] = strings.TrimSpace(names[i])
	}
	if names[0] == "cpu" {
		devs := make([]core.Device, len(names))
		for i, n := range names {
			if n != "cpu" {
				return nil, usagef("--devices %s: CPU ranks and %s do not mix (give cpu,cpu,... or cuda:0,cuda:1,...)", s, n)
			}
			devs[i] = core.CPU()
		}
		return devs, nil
	}
	var gpus []string
	reason := "no CUDA device is registered"
	for _, d := range core.Devices() {
		if d.Kind() != "cuda" {
			continue
		}
		if st := d.Status(); st.Available {
			gpus = append(gpus, d.Name())
		} else {
			reason = st.Reason
		}
	}
	seen := map[string]bool{}
	for _, n := range names {
		if _, err := strconv.Atoi(strings.TrimPrefix(n, "cuda:")); err != nil || !strings.HasPrefix(n, "cuda:") {
			return nil, usagef("--devices %s: %q is not cuda:N (or give cpu,cpu,... for CPU ranks)", s, n)
		}
		if seen[n] {
			return nil, usagef("--devices %s: %s appears twice (NCCL runs one rank per GPU)", s, n)
		}
		seen[n] = true
	}
	devs := make([]core.Device, len(names))
	for i, n := range names {
		d, err := core.Lookup(n)
		if err != nil || !d.Status().Available {
			have := "none is available: " + reason
			if len(gpus) > 0 {
				have = strings.Join(gpus, ", ")
			}
			return nil, fmt.Errorf("--devices %s needs %d CUDA GPUs; this machine has %d (%s)", s, len(names), len(gpus), have)
		}
		devs[i] = d
	}
	return devs, nil
}

// openRanks makes one communicator per device: NCCL for GPUs, a local
// group for CPU ranks. close closes them.
func openRanks(devs []core.Device) (comms []core.Communicator, closeAll func(), err error) {
	if _, ok := devs[0].(*cuda.Device); ok {
		gpus := make([]*cuda.Device, len(devs))
		for i, d := range devs {
			gpus[i] = d.(*cuda.Device) // parseDevices gives GPUs only, or CPUs only
		}
		nc, err := cuda.NewNCCLGroup(gpus)
		if err != nil {
			return nil, nil, err
		}
		for _, c := range nc {
			comms = append(comms, c)
		}
	} else {
		g, err := core.NewLocalGroup(devs...)
		if err != nil {
			return nil, nil, err
		}
		for i := range devs {
			c, err := g.Rank(i)
			if err != nil {
				return nil, nil, err
			}
			comms = append(comms, c)
		}
	}
	return comms, func() {
		for _, c := range comms {
			_ = c.Close()
		}
	}, nil
}

// loadParallel resolves the model flags and --devices and loads the model
// at path split over the ranks; done releases it.
func (f modelFlags) loadParallel(devices, path string) (p *llama.Parallel, ids []int, done func(), err error) {
	if *f.device != "" {
		return nil, nil, nil, usagef("--device and --devices exclude each other")
	}
	if ids, err = parseIDs(*f.ids); err != nil {
		return nil, nil, nil, err
	}
	dt, err := f.activationDType()
	if err != nil {
		return nil, nil, nil, err
	}
	devs, err := parseDevices(devices)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := checkInput(path, inputRunnable); err != nil {
		return nil, nil, nil, err
	}
	comms, closeRanks, err := openRanks(devs)
	if err != nil {
		return nil, nil, nil, err
	}
	if p, err = llama.LoadParallel(path, comms, llama.Options{DType: dt}); err != nil {
		closeRanks()
		return nil, nil, nil, err
	}
	return p, ids, func() { _ = p.Close(); closeRanks() }, nil
}

// rankNames describes the ranks for reports: "cpu,cpu (2 ranks)".
func rankNames(devices string, p *llama.Parallel) string {
	return fmt.Sprintf("%s (%d ranks)", devices, p.Ranks())
}

// runParallelLogits is logits --devices.
func runParallelLogits(mf modelFlags, devices, path, out string, force bool, stdout, stderr io.Writer) error {
	report, err := logitsOutput(path, out, force, stdout, stderr)
	if err != nil {
		return err
	}
	p, ids, done, err := mf.loadParallel(devices, path)
	if err != nil {
		return err
	}
	defer done()
	start := time.Now()
	logits, err := p.Forward(context.Background(), ids, nil)
	if err != nil {
		return err
	}
	return reportLogits(logits, start, out, rankNames(devices, p), p.DType(), stdout, report)
}

// errParallelPrompt: the text paths (streaming, chat) run one Model.
var errParallelPrompt = errors.New("--devices runs generate with --ids only for now (--prompt and --chat stream through a single-device model)")

// generateParallelIDs is generate --ids --devices.
func generateParallelIDs(mf modelFlags, devices, path string, o llama.GenerateOptions, asJSON bool, stdout io.Writer) error {
	p, ids, done, err := mf.loadParallel(devices, path)
	if err != nil {
		return err
	}
	defer done()
	var out []int
	st, err := p.Generate(context.Background(), ids, o, func(id int) bool { out = append(out, id); return true })
	if err != nil {
		return err
	}
	stop, stopText := "max_tokens", fmt.Sprintf("--max-tokens %d reached", o.MaxTokens)
	if st.Stop == llama.StopEOS {
		stop, stopText = "eos", fmt.Sprintf("end-of-sequence token %d", out[len(out)-1])
	}
	if asJSON {
		return json.NewEncoder(stdout).Encode(map[string]any{
			"ids": out, "devices": devices, "ranks": p.Ranks(), "prompt_tokens": st.PromptTokens, "generated_tokens": st.Generated, "stop_reason": stop, "seed": o.Seed,
			"prefill_tokens_per_s": st.PrefillRate(), "decode_tokens_per_s": st.DecodeRate(),
			"prefill_seconds": st.Prefill.Seconds(), "decode_seconds": st.Decode.Seconds(),
		})
	}
	s := make([]string, len(out))
	for i, id := range out {
		s[i] = strconv.Itoa(id)
	}
	fmt.Fprintf(stdout, "ids: %s\n", strings.Join(s, ","))
	fmt.Fprintf(stdout, "prefill: %d tokens in %v (%.1f tokens/s); decode: %d tokens in %v (%.1f tokens/s) on %s\n",
		st.PromptTokens, st.Prefill.Round(1000), st.PrefillRate(), max(0, st.Generated-1), st.Decode.Round(1000), st.DecodeRate(), rankNames(devices, p))
	fmt.Fprintf(stdout, "stop: %s\n", stopText)
	if n := fallbackNote(); n != "" {
		fmt.Fprintln(stdout, n)
	}
	return nil
}

// generateOnRanks checks generate's flags for --devices and runs it.
func generateOnRanks(mf modelFlags, sf samplingFlags, devices, path string, hasPrompt, asJSON bool, stdout io.Writer) error {
	if hasPrompt {
		return usagef("%v", errParallelPrompt)
	}
	if len(*sf.stops) > 0 {
		return usagef("--stop needs --prompt, which --devices does not take yet")
	}
	o, err := sf.options()
	if err != nil {
		return err
	}
	return generateParallelIDs(mf, devices, path, o, asJSON, stdout)
}
