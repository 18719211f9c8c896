//go:build mage

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// benchSizes are the square sgemm sizes mage bench compares.
var benchSizes = []int{128, 256, 512, 1024, 2048}

// benchRounds interleaves the implementations this many times per size
// so that load from other processes hits them alike; each keeps its best.
const benchRounds = 3

// Bench times lbrx's float32 matmul next to OpenBLAS (numpy from Debian's
// python3-numpy with libopenblas0-pthread, when /usr/bin/python3 has it)
// and gonum, interleaved in one run on 1 and 2 threads, prints the
// GFLOP/s and the ratios, and draws docs/bench.png. LBRX_BENCH_SIZES
// (comma-separated) and LBRX_BENCH_THREADS override the defaults.
func Bench() error {
	sizes, err := intList(os.Getenv("LBRX_BENCH_SIZES"), benchSizes)
	if err != nil {
		return fmt.Errorf("LBRX_BENCH_SIZES: %w", err)
	}
	threads, err := intList(os.Getenv("LBRX_BENCH_THREADS"), []int{1, 2})
	if err != nil {
		return fmt.Errorf("LBRX_BENCH_THREADS: %w", err)
	}
	tmp, err := os.MkdirTemp("", "lbrx-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	lbrx := filepath.Join(tmp, "lbrx")
	gonum := filepath.Join(tmp, "gonum-sgemm")
	if err := inDir("tools/lbrx", nil, "go", "build", "-o", lbrx, "."); err != nil {
		return err
	}
	if err := inDir("bench", map[string]string{"GOWORK": "off"}, "go", "build", "-o", gonum, "./cmd/gonum-sgemm"); err != nil {
		return err
	}
	haveNumpy := exec.Command("/usr/bin/python3", "-c", "import numpy").Run() == nil
	if !haveNumpy {
		fmt.Println("OpenBLAS column skipped: /usr/bin/python3 cannot import numpy (apt-get install python3-numpy libopenblas0-pthread)")
	}
	startLoad := loadAvg()
	fmt.Printf("machine: %s, %d CPUs; load average at start: %s\n", cpuModel(), runtime.NumCPU(), startLoad)

	best := map[string]float64{} // impl/threads/size -> GFLOP/s
	var lines []map[string]any
	record := func(impl string, out []byte) error {
		sc := bufio.NewScanner(bytes.NewReader(out))
		for sc.Scan() {
			var r map[string]any
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				return fmt.Errorf("%s printed %q: %w", impl, sc.Text(), err)
			}
			r["impl"] = impl
			lines = append(lines, r)
			key := fmt.Sprintf("%s/%v/%v", impl, r["threads"], r["m"])
			best[key] = max(best[key], r["gflops"].(float64))
		}
		return sc.Err()
	}
	for _, t := range threads {
		for _, n := range sizes {
			for range benchRounds {
				ns := strconv.Itoa(n)
				out, err := exec.Command(lbrx, "bench", "matmul", "--m", ns, "--n", ns, "--k", ns,
					"--threads", strconv.Itoa(t), "--runs", "3", "--min-time", "1s", "--json").Output()
				if err != nil {
					return fmt.Errorf("lbrx bench matmul %d on %d threads: %w", n, t, err)
				}
				if err := record("lbrx", out); err != nil {
					return err
				}
				if haveNumpy {
					c := exec.Command("/usr/bin/python3", "bench/openblas_sgemm.py", ns, "3", "1")
					c.Env = append(withoutEnv("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS"), "OPENBLAS_NUM_THREADS="+strconv.Itoa(t))
					out, err := c.Output()
					if err != nil {
						return fmt.Errorf("OpenBLAS %d on %d threads: %w", n, t, err)
					}
					if err := record("openblas", out); err != nil {
						return err
					}
				}
			}
			// gonum is ~10x slower: one round, fewer runs.
			c := exec.Command(gonum, "--sizes", strconv.Itoa(n), "--runs", "2", "--min-time", "200ms")
			c.Env = append(withoutEnv("GOMAXPROCS"), "GOMAXPROCS="+strconv.Itoa(t))
			out, err := c.Output()
			if err != nil {
				return fmt.Errorf("gonum %d on %d threads: %w", n, t, err)
			}
			if err := record("gonum", out); err != nil {
				return err
			}
		}
	}
	fmt.Printf("load average at end: %s\n\n", loadAvg())
	fmt.Printf("%-6s %-7s %10s %10s %10s %12s %12s\n", "n", "threads", "lbrx", "OpenBLAS", "gonum", "lbrx/OpenBLAS", "lbrx/gonum")
	for _, t := range threads {
		for _, n := range sizes {
			l, o, g := best[fmt.Sprintf("lbrx/%d/%d", t, n)], best[fmt.Sprintf("openblas/%d/%d", t, n)], best[fmt.Sprintf("gonum/%d/%d", t, n)]
			fmt.Printf("%-6d %-7d %10.1f %10s %10.1f %12s %12.1f\n", n, t, l, orNA(o), g, ratio(l, o), l/g)
		}
	}
	data := filepath.Join(tmp, "results.jsonl")
	var buf bytes.Buffer
	for _, r := range lines {
		b, _ := json.Marshal(r)
		buf.Write(append(b, '\n'))
	}
	if err := os.WriteFile(data, buf.Bytes(), 0o600); err != nil {
		return err
	}
	if err := os.WriteFile("docs/bench.jsonl", buf.Bytes(), 0o644); err != nil {
		return err
	}
	title := fmt.Sprintf("float32 n×n×n matmul, %s, %d CPUs, load %s, %s", cpuModel(), runtime.NumCPU(), startLoad, time.Now().UTC().Format("2006-01-02"))
	return inDir("bench", map[string]string{"GOWORK": "off"}, "go", "run", "./cmd/chart", "-in", data, "-out", "../docs/bench.png", "-title", title)
}

func intList(s string, def []int) ([]int, error) {
	if s == "" {
		return def, nil
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("%q is not a positive integer", f)
		}
		out = append(out, v)
	}
	return out, nil
}

// withoutEnv returns the environment minus the named variables.
func withoutEnv(names ...string) []string {
	var env []string
outer:
	for _, kv := range os.Environ() {
		for _, n := range names {
			if strings.HasPrefix(kv, n+"=") {
				continue outer
			}
		}
		env = append(env, kv)
	}
	return env
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "model name") {
			if _, v, ok := strings.Cut(l, ":"); ok {
				return strings.TrimSpace(v)
			}
		}
	}
	return runtime.GOARCH
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

func orNA(v float64) string {
	if v == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f", v)
}

func ratio(a, b float64) string {
	if b == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2fx", a/b)
}

// GemmTorch builds lbrx and runs bench/torch_gemm.py: lbrx's CUDA GEMM
// (8192³ in f32 with TF32 off and on, bf16 and f16) next to PyTorch's
// torch.matmul on the same GPU, 30 timed runs each. It needs an NVIDIA
// GPU and a python3 with PyTorch; README.md's CUDA GEMM table comes from
// it. LBRX_GEMM_DEVICE picks the device (default cuda:0).
func GemmTorch() error {
	tmp, err := os.MkdirTemp("", "lbrx-gemm-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	lbrx := filepath.Join(tmp, "lbrx")
	if err := inDir("tools/lbrx", nil, "go", "build", "-o", lbrx, "."); err != nil {
		return err
	}
	dev := os.Getenv("LBRX_GEMM_DEVICE")
	if dev == "" {
		dev = "cuda:0"
	}
	return inDir(".", nil, "python3", "bench/torch_gemm.py", "--lbrx", lbrx, "--device", dev)
}
