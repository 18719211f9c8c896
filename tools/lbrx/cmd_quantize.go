package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/core/safetensors"
	"github.com/lbrx/lbrx/quant"
	"github.com/schollz/progressbar/v3"
)

func init() {
	commands["quantize"] = command{
		summary: "quantize a model to MLX's affine layout (quantize SRC DST --bits B --group-size G) or to GGUF (quantize SRC DST.gguf --type q4_0|...|q6_k)",
		run:     runQuantize,
	}
}

// maxShardBytes matches mlx-lm's shard size.
const maxShardBytes = 5 << 30

// quantizeArgs splits flags from the two positional arguments, which may
// come in any order.
func quantizeArgs(args []string) (src, dst string, bits, group int, err error) {
	fs := flag.NewFlagSet("quantize", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.IntVar(&bits, "bits", 4, "bits per weight")
	fs.IntVar(&group, "group-size", 64, "values per scale and bias")
	pos, err := parseMixed(fs, args)
	if err != nil {
		return "", "", 0, 0, usagef("%v (usage: lbrx quantize SRC DST --bits B --group-size G)", err)
	}
	if len(pos) != 2 {
		return "", "", 0, 0, usagef("need SRC and DST, got %d arguments (usage: lbrx quantize SRC DST --bits B --group-size G)", len(pos))
	}
	if err := quant.CheckParams(bits, group); err != nil {
		return "", "", 0, 0, usagef("%v", err)
	}
	src, dst = pos[0], pos[1]
	if _, err := os.Stat(src); err != nil { //nolint:gosec // the user names the model to read
		return "", "", 0, 0, usagef("SRC %s: %v", src, errors.Unwrap(err))
	}
	if _, err := os.Stat(dst); err == nil { //nolint:gosec // the user names the directory to create
		return "", "", 0, 0, usagef("DST %s already exists (quantize writes a new directory)", dst)
	}
	return src, dst, bits, group, nil
}

// quantizable is the rule of `lbrx quantize`: a 2-D float *.weight whose
// last dimension the group size divides and whose name lacks "norm".
func quantizable(name string, info safetensors.TensorInfo, group int) bool {
	return strings.HasSuffix(name, ".weight") && !strings.Contains(name, "norm") &&
		len(info.Shape) == 2 && info.Shape[1] > 0 && info.Shape[1]%group == 0 &&
		(info.Type == core.F32 || info.Type == core.F16 || info.Type == core.BF16)
}

func runQuantize(args []string, _, stderr io.Writer) error {
	if wantsGGUF(args) {
		return runQuantizeGGUF(args, stderr)
	}
	src, dst, bits, group, err := quantizeArgs(args)
	if err != nil {
		return err
	}
	f, err := safetensors.Open(src)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()

	parent := filepath.Dir(filepath.Clean(dst))
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dst)+".tmp-")
	if err != nil {
		return fmt.Errorf("quantize: %w", err)
	}
	done := false
	defer func() {
		if !done {
			_ = os.RemoveAll(tmp) //nolint:gosec // our own temporary directory beside DST
		}
	}()

	names := f.Names()
	var total int64
	for _, n := range names {
		info, _ := f.Info(n)
		total += info.Size
	}
	bar := progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(stderr),
		progressbar.OptionSetDescription("quantize"),
		progressbar.OptionShowBytes(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(stderr) }),
	)
	w := safetensors.NewWriter()
	w.SetMetadata(map[string]string{"format": "mlx"})
	var nq, outBytes int
	for _, n := range names {
		info, _ := f.Info(n)
		a, err := f.Array(n)
		if err != nil {
			return fmt.Errorf("quantize %s: %w", src, err)
		}
		if quantizable(n, info, group) {
			if a, err = quant.Quantize(a, bits, group); err != nil {
				return fmt.Errorf("quantize %s: tensor %q: %w", src, n, err)
			}
			nq++
			outBytes += a.NumElements()*4 + 2*a.Quant().Scales.NumElements()*a.Quant().Scales.DType().Size()
		} else {
			outBytes += int(info.Size)
		}
		if err := quant.AddToWriter(w, n, a); err != nil {
			return fmt.Errorf("quantize %s: %w", src, err)
		}
		_ = bar.Add64(info.Size)
	}
	if outBytes > maxShardBytes {
		err = w.WriteSharded(tmp, maxShardBytes)
	} else {
		err = w.WriteFile(filepath.Join(tmp, "model.safetensors"))
	}
	if err != nil {
		return fmt.Errorf("quantize: write %s: %w", dst, err)
	}
	if err := writeQuantizedConfig(src, tmp, bits, group); err != nil {
		return err
	}
	if err := copySideFiles(src, tmp); err != nil {
		return err
	}
	_ = bar.Finish()
	if err := os.Rename(tmp, dst); err != nil { //nolint:gosec // the user names DST; tmp is ours
		return fmt.Errorf("quantize: %w", err)
	}
	done = true
	fmt.Fprintf(stderr, "quantized %d of %d tensors to %d bits (group size %d) into %s\n", nq, len(names), bits, group, dst)
	return nil
}

// srcDir is the directory of a model given as a directory or a file.
func srcDir(src string) string {
	if st, err := os.Stat(src); err == nil && st.IsDir() { //nolint:gosec // the user names the model to read
		return src
	}
	return filepath.Dir(src)
}

func writeQuantizedConfig(src, dir string, bits, group int) error {
	cfg := map[string]any{}
	if p := filepath.Join(srcDir(src), "config.json"); fileExists(p) {
		var err error
		if cfg, err = quant.ReadConfig(p); err != nil {
			return err
		}
	}
	quant.SetQuantizationConfig(cfg, bits, group)
	return quant.WriteConfig(filepath.Join(dir, "config.json"), cfg)
}

func fileExists(p string) bool {
	st, err := os.Stat(p) //nolint:gosec // paths inside the model the user names
	return err == nil && st.Mode().IsRegular()
}

// copySideFiles copies a model directory's other files (tokenizer,
// generation config, ...) so that DST is a usable model; weights and
// config.json were written already.
func copySideFiles(src, dir string) error {
	st, err := os.Stat(src) //nolint:gosec // the user names the model to read
	if err != nil || !st.IsDir() {
		return err
	}
	ents, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	sort.Slice(ents, func(i, j int) bool { return ents[i].Name() < ents[j].Name() })
	for _, e := range ents {
		n := e.Name()
		if !e.Type().IsRegular() || n == "config.json" || n == safetensors.IndexName || strings.HasSuffix(n, ".safetensors") {
			continue
		}
		if err := copyFile(filepath.Join(src, n), filepath.Join(dir, n)); err != nil {
			return fmt.Errorf("quantize: copy %s: %w", n, err)
		}
	}
	return nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from) //nolint:gosec // the user named this model directory
	if err != nil {
		return err
	}
	defer func() { _ = in.Close() }()
	out, err := os.Create(to) //nolint:gosec // inside the temporary output directory
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}
