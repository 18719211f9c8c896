package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
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
	commands["quantize"] = &command{
		summary: "quantize a model (directory or .safetensors file) to MLX's affine layout in a new directory, or to one GGUF file (--type)",
		args:    []string{"SRC", "DST"},
		setup:   quantizeSetup,
	}
}

// maxShardBytes matches mlx-lm's shard size.
const maxShardBytes = 5 << 30

func quantizeSetup(flags *flag.FlagSet) runFunc {
	bits := flags.Int("bits", 4, "bits per weight (2, 3, 4, 5, 6, 8)")
	group := flags.Int("group-size", 64, "values per scale and bias (32, 64, 128)")
	force := flags.Bool("force", false, "replace an existing DST (never SRC or one inside it)")
	typ := flags.String("type", "", "write GGUF: ggml type of every 2-D weight (q4_0, q4_1, q5_0, q5_1, q8_0, q4_k, q5_k, q6_k), or llama-quantize's mix q3_k_m, q4_k_m, q5_k_m; DST must end in .gguf")
	vocab := flags.String("vocab", "", "GGUF: file whose tokenizer.* metadata to copy (llama.cpp needs a vocabulary)")
	name := flags.String("name", "", "GGUF: general.name (default: SRC's directory name)")
	return func(pos []string, _, stderr io.Writer) error {
		if *typ != "" || strings.HasSuffix(strings.ToLower(pos[1]), ".gguf") {
			return runQuantizeGGUF(ggufQuantizeArgs{src: pos[0], dst: pos[1], typ: *typ, vocab: *vocab, name: *name, force: *force}, stderr)
		}
		if err := quant.CheckParams(*bits, *group); err != nil {
			return usagef("%v", err)
		}
		return runQuantize(pos[0], pos[1], *bits, *group, *force, stderr)
	}
}

// checkQuantizeDST finds what is wrong with DST before any work is done:
// an empty path, SRC itself or a path inside SRC, an existing file or
// directory (unless force replaces a directory), a dangling symlink, a
// parent directory that does not exist.
func checkQuantizeDST(src, dst string, force bool) error {
	if dst == "" {
		return usagef("DST is empty")
	}
	if dst == stdoutName {
		return usagef("DST must be a directory; quantize cannot write a model to standard output")
	}
	absSrc, err1 := filepath.Abs(src)
	absDst, err2 := filepath.Abs(dst)
	if err := errors.Join(err1, err2); err != nil {
		return err
	}
	if rel, err := filepath.Rel(absSrc, absDst); err == nil && (rel == "." || !strings.HasPrefix(rel, "..")) {
		return fmt.Errorf("DST %s is SRC or inside it: refusing to write into the input", dst)
	}
	st, err := os.Lstat(dst) //nolint:gosec // the user names DST
	switch {
	case errors.Is(err, fs.ErrNotExist):
		parent := filepath.Dir(filepath.Clean(dst))
		if p, err := os.Stat(parent); err != nil || !p.IsDir() { //nolint:gosec // the user names DST
			return fmt.Errorf("DST %s: directory %s does not exist", dst, parent)
		}
		return nil
	case err != nil:
		return fmt.Errorf("DST %s: %w", dst, err)
	case st.Mode()&fs.ModeSymlink != 0:
		if _, err := os.Stat(dst); err != nil { //nolint:gosec // the user names DST
			return fmt.Errorf("DST %s is a dangling symlink (remove it or choose another path)", dst)
		}
		return fmt.Errorf("DST %s is a symlink; give the directory to create itself", dst)
	case !st.IsDir():
		return fmt.Errorf("DST %s exists and is not a directory", dst)
	case sameDir(src, dst):
		return fmt.Errorf("DST %s is SRC: refusing to write over the input", dst)
	case !force:
		return fmt.Errorf("DST %s already exists (quantize writes a new directory; use --force to replace it)", dst)
	}
	return nil
}

// sameDir tells whether a and b are the same directory (links included).
func sameDir(a, b string) bool {
	sa, err1 := os.Stat(a) //nolint:gosec // paths the user names
	sb, err2 := os.Stat(b) //nolint:gosec // paths the user names
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}

// quantizable is the rule of `lbrx quantize`: a 2-D float *.weight whose
// last dimension the group size divides and whose name lacks "norm".
func quantizable(name string, info safetensors.TensorInfo, group int) bool {
	return strings.HasSuffix(name, ".weight") && !strings.Contains(name, "norm") &&
		len(info.Shape) == 2 && info.Shape[1] > 0 && info.Shape[1]%group == 0 &&
		(info.Type == core.F32 || info.Type == core.F16 || info.Type == core.BF16)
}

func runQuantize(src, dst string, bits, group int, force bool, stderr io.Writer) error {
	if err := checkInput(src, inputModel); err != nil {
		return err
	}
	if err := checkQuantizeDST(src, dst, force); err != nil {
		return err
	}
	f, err := safetensors.Open(src)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()

	tmp, release, err := newTempDir(dst, stderr)
	if err != nil {
		return fmt.Errorf("quantize: %w", err)
	}
	defer release()

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
	if err := commitDir(tmp, dst, force); err != nil {
		return fmt.Errorf("quantize: %w", err)
	}
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
