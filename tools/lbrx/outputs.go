package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// stdoutName is the output path that means standard output.
const stdoutName = "-"

// checkOutput enforces the rules every command that writes a file
// follows, before any work is done: "-" is standard output; out is never
// one of the command's inputs (a file named as input, or any file inside
// an input directory), not even with --force; an existing out is refused
// unless force; and out's directory must exist.
func checkOutput(flagName, out string, force bool, inputs ...string) error {
	if out == stdoutName {
		return nil
	}
	if out == "" {
		return usagef("%s needs a path (or - for standard output)", flagName)
	}
	st, err := os.Lstat(out) //nolint:gosec // the user names the output
	switch {
	case errors.Is(err, fs.ErrNotExist):
		dir := filepath.Dir(out)
		if d, err := os.Stat(dir); err != nil || !d.IsDir() { //nolint:gosec // the user names the output
			return fmt.Errorf("%s %s: directory %s does not exist", flagName, out, dir)
		}
		return nil
	case err != nil:
		return fmt.Errorf("%s %s: %w", flagName, out, err)
	case st.IsDir():
		return fmt.Errorf("%s %s is a directory, not a file", flagName, out)
	}
	if in, ok := sameAsInput(out, inputs); ok {
		return fmt.Errorf("%s %s is the input %s: refusing to overwrite it (choose another path)", flagName, out, in)
	}
	if !force {
		return fmt.Errorf("%s %s already exists (use --force to overwrite it)", flagName, out)
	}
	return nil
}

// sameAsInput tells whether path is one of inputs or a file inside an
// input directory (its symlinks and hard links included).
func sameAsInput(path string, inputs []string) (string, bool) {
	ps, err := os.Stat(path) //nolint:gosec // the user names the output
	if err != nil {
		return "", false
	}
	for _, in := range inputs {
		is, err := os.Stat(in) //nolint:gosec // the user names the input
		if err != nil {
			continue
		}
		if os.SameFile(ps, is) {
			return in, true
		}
		if !is.IsDir() {
			continue
		}
		ents, err := os.ReadDir(in)
		if err != nil {
			continue
		}
		for _, e := range ents {
			es, err := os.Stat(filepath.Join(in, e.Name())) //nolint:gosec // files of an input directory the user names
			if err == nil && os.SameFile(ps, es) {
				return filepath.Join(in, e.Name()), true
			}
		}
	}
	return "", false
}

// writeOutput writes through write to out, or to stdout for "-". A file
// is written beside out and renamed over it when complete, so a failure
// leaves no half-written file behind (nor destroys the old one).
func writeOutput(out string, stdout io.Writer, write func(io.Writer) error) error {
	if out == stdoutName {
		return write(stdout)
	}
	f, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".tmp-")
	if err != nil {
		return err
	}
	tmp := f.Name()
	err = write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, fs.FileMode(0o666&^umask())) //nolint:gosec // the mode os.Create gives
	}
	if err == nil {
		err = os.Rename(tmp, out) //nolint:gosec // the user names the output
	}
	if err != nil {
		_ = os.Remove(tmp) //nolint:gosec // our own temporary file
		return fmt.Errorf("write %s: %w", out, err)
	}
	return nil
}
