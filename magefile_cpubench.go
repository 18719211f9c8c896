//go:build mage

package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// CPU puts lbrx beside llama.cpp on the same GGUF files on this machine's
// CPU: decode (tg: tokens generated from an empty context) and prefill
// (pp: one prompt) at each thread count, the two tools alternating in
// every round, then the median of the rounds and the ratios. Set
// LBRX_LLAMA_BENCH to llama.cpp's llama-bench (../shared/tools/llamacpp/
// build.sh builds it) and LBRX_CPU_MODELS to comma-separated GGUF files
// (make one with ../shared/tools/llama_gguf.py random, then
// llama-quantize it to Q4_0 and Q8_0). Optional: LBRX_BENCH_ROUNDS
// (default 3), LBRX_BENCH_THREADS (default 1,2), LBRX_BENCH_TG (decode
// tokens, default 32) and LBRX_BENCH_PP (prompt tokens, default 64).
// lbrx decodes as Generate does, the step recorded once and replayed;
// LBRX_BENCH_EAGER=both also times its op-by-op decode in every round
// (an extra row, "op by op"), so that the two paths compare in one run.
// The load average is printed with every round: on a shared machine the
// figures mean little while it is above the core count.
func (Perf) CPU() error {
	llamaBench := os.Getenv("LBRX_LLAMA_BENCH")
	models := strings.FieldsFunc(os.Getenv("LBRX_CPU_MODELS"), func(r rune) bool { return r == ',' })
	if llamaBench == "" || len(models) == 0 {
		return errors.New("set LBRX_LLAMA_BENCH (llama.cpp's llama-bench) and LBRX_CPU_MODELS (comma-separated GGUF files)")
	}
	rounds, err := intList(os.Getenv("LBRX_BENCH_ROUNDS"), []int{3})
	if err != nil || len(rounds) != 1 {
		return fmt.Errorf("LBRX_BENCH_ROUNDS: want one positive integer (%v)", err)
	}
	threads, err := intList(os.Getenv("LBRX_BENCH_THREADS"), []int{1, 2})
	if err != nil {
		return fmt.Errorf("LBRX_BENCH_THREADS: %w", err)
	}
	tgs, err := intList(os.Getenv("LBRX_BENCH_TG"), []int{32})
	if err != nil || len(tgs) != 1 {
		return fmt.Errorf("LBRX_BENCH_TG: want one positive integer (%v)", err)
	}
	pps, err := intList(os.Getenv("LBRX_BENCH_PP"), []int{64})
	if err != nil || len(pps) != 1 {
		return fmt.Errorf("LBRX_BENCH_PP: want one positive integer (%v)", err)
	}
	tg, pp := tgs[0], pps[0]
	eagerToo := os.Getenv("LBRX_BENCH_EAGER") == "both"
	for i, m := range models {
		if models[i], err = filepath.Abs(m); err != nil {
			return err
		}
		if _, err := os.Stat(models[i]); err != nil {
			return fmt.Errorf("LBRX_CPU_MODELS: %w", err)
		}
	}
	tmp, err := os.MkdirTemp("", "lbrx-cpubench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "llama.test")
	if err := inDir("models", nil, "go", "test", "-c", "-o", bin, "./llama"); err != nil {
		return err
	}
	fmt.Printf("machine: %s; tg %d, pp %d; llama-bench %s\n", cpuModel(), tg, pp, llamaBench)

	runs := map[string][]float64{} // "model tool test threads" -> tok/s per round
	key := func(model, tool, test string, t int) string {
		return fmt.Sprintf("%s\t%s\t%s\t%d", filepath.Base(model), tool, test, t)
	}
	for r := range rounds[0] {
		fmt.Printf("round %d, %s, load average %s\n", r+1, time.Now().UTC().Format("15:04:05"), loadAvg())
		for _, model := range models {
			for _, t := range threads {
				dec, pre, err := llamaBenchRun(llamaBench, model, t, tg, pp)
				if err != nil {
					return err
				}
				runs[key(model, "llama.cpp", "tg", t)] = append(runs[key(model, "llama.cpp", "tg", t)], dec)
				runs[key(model, "llama.cpp", "pp", t)] = append(runs[key(model, "llama.cpp", "pp", t)], pre)
				if dec, err = lbrxBenchRun(bin, model, "GGUFDecode", t, tg, pp, tg, "LBRX_BENCH_EAGER=0"); err != nil {
					return err
				}
				if pre, err = lbrxBenchRun(bin, model, "GGUFPrefill", t, tg, pp, 2); err != nil {
					return err
				}
				runs[key(model, "lbrx", "tg", t)] = append(runs[key(model, "lbrx", "tg", t)], dec)
				runs[key(model, "lbrx", "pp", t)] = append(runs[key(model, "lbrx", "pp", t)], pre)
				eager := ""
				if eagerToo {
					v, err := lbrxBenchRun(bin, model, "GGUFDecode", t, tg, pp, tg, "LBRX_BENCH_EAGER=1")
					if err != nil {
						return err
					}
					runs[key(model, "lbrx", "tg-eager", t)] = append(runs[key(model, "lbrx", "tg-eager", t)], v)
					eager = fmt.Sprintf(", tg op by op %.2f", v)
				}
				fmt.Printf("  %s t=%d: llama.cpp tg %.2f pp %.2f | lbrx tg %.2f pp %.2f%s tok/s (load %s)\n",
					filepath.Base(model), t, runs[key(model, "llama.cpp", "tg", t)][r], runs[key(model, "llama.cpp", "pp", t)][r], dec, pre, eager, loadAvg())
			}
		}
	}
	fmt.Printf("\nmedian of %d rounds, tok/s (load average at the end %s)\n\n", rounds[0], loadAvg())
	fmt.Println("| model | test | llama.cpp 1 thread | llama.cpp 2 threads | lbrx 1 thread | lbrx 2 threads | lbrx/llama.cpp 1 | lbrx/llama.cpp 2 | lbrx 2/1 threads |")
	fmt.Println("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
	for _, model := range models {
		tests := []string{"tg", "pp"}
		if eagerToo {
			tests = []string{"tg", "tg-eager", "pp"}
		}
		for _, test := range tests {
			med := func(tool string, t int) float64 {
				if tool == "llama.cpp" && test == "tg-eager" {
					return median(runs[key(model, tool, "tg", t)])
				}
				return median(runs[key(model, tool, test, t)])
			}
			name := fmt.Sprintf("decode (tg%d)", tg)
			switch test {
			case "tg-eager":
				name = fmt.Sprintf("decode (tg%d), lbrx op by op", tg)
			case "pp":
				name = fmt.Sprintf("prefill (pp%d)", pp)
			}
			row := []string{filepath.Base(model), name}
			for _, tool := range []string{"llama.cpp", "lbrx"} {
				for _, t := range threads {
					row = append(row, orNA(med(tool, t)))
				}
			}
			for _, t := range threads {
				row = append(row, ratio(med("lbrx", t), med("llama.cpp", t)))
			}
			if len(threads) >= 2 {
				row = append(row, ratio(med("lbrx", threads[1]), med("lbrx", threads[0])))
			}
			fmt.Println("| " + strings.Join(row, " | ") + " |")
		}
	}
	return nil
}

// llamaBenchRun runs llama-bench once for tg and pp at t threads and
// returns both rates (tok/s).
func llamaBenchRun(bin, model string, t, tg, pp int) (dec, pre float64, err error) {
	out, err := exec.Command(bin, "-m", model, "-t", strconv.Itoa(t), "-n", strconv.Itoa(tg), "-p", strconv.Itoa(pp), "-r", "1", "-o", "json").Output()
	if err != nil {
		return 0, 0, fmt.Errorf("llama-bench on %s: %w", model, err)
	}
	var res []struct {
		NPrompt int     `json:"n_prompt"`
		NGen    int     `json:"n_gen"`
		AvgTS   float64 `json:"avg_ts"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		return 0, 0, fmt.Errorf("llama-bench output: %w", err)
	}
	for _, r := range res {
		if r.NGen > 0 {
			dec = r.AvgTS
		} else if r.NPrompt > 0 {
			pre = r.AvgTS
		}
	}
	return dec, pre, nil
}

var tokPerSec = regexp.MustCompile(`([0-9.]+) tok/s`)

// lbrxBenchRun runs one of models/llama's GGUF benchmarks n times at t
// threads (GOMAXPROCS), with env added to the environment, and returns
// its tok/s.
func lbrxBenchRun(bin, model, bench string, t, tg, pp, n int, env ...string) (float64, error) {
	c := exec.Command(bin, "-test.run", "^$", "-test.bench", "^Benchmark"+bench+"$", "-test.cpu", strconv.Itoa(t), "-test.benchtime", fmt.Sprintf("%dx", n))
	c.Dir = filepath.Join("models", "llama")
	c.Env = append(withoutEnv("LBRX_THREADS", "GOMAXPROCS", "LBRX_BENCH_EAGER"), "LBRX_BENCH_GGUF="+model, "LBRX_BENCH_TG="+strconv.Itoa(tg), "LBRX_BENCH_PP="+strconv.Itoa(pp))
	c.Env = append(c.Env, env...)
	out, err := c.CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("lbrx %s on %s: %w\n%s", bench, model, err, out)
	}
	m := tokPerSec.FindAllSubmatch(out, -1)
	if len(m) == 0 {
		return 0, fmt.Errorf("lbrx %s on %s: no tok/s in\n%s", bench, model, out)
	}
	return strconv.ParseFloat(string(m[len(m)-1][1]), 64)
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
