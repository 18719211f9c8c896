package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// tempDirPrefix names a command's temporary output directory beside DST:
// .DST.tmp-PID-RANDOM, so that a later run can tell whether the process
// that made it is gone.
func tempDirPrefix(dst string) string { return "." + filepath.Base(filepath.Clean(dst)) + ".tmp-" }

// newTempDir creates the temporary directory a command builds DST in
// (mode 0777 less the umask), after removing the ones earlier runs left
// behind when they crashed. Until release is called, SIGINT and SIGTERM
// remove it and exit with 128 + the signal's number, as a shell reports
// a killed command. release removes it unless it has been renamed.
func newTempDir(dst string, stderr io.Writer) (tmp string, release func(), err error) {
	parent := filepath.Dir(filepath.Clean(dst))
	removeStaleTemps(parent, tempDirPrefix(dst), stderr)
	// Catch the signals before the directory exists: one that arrives
	// in between waits in the channel.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	for range 100 {
		tmp = filepath.Join(parent, fmt.Sprintf("%s%d-%s", tempDirPrefix(dst), os.Getpid(), strconv.FormatUint(rand.Uint64(), 36))) //nolint:gosec // a unique name, not a secret
		if err = os.Mkdir(tmp, 0o777); !errors.Is(err, fs.ErrExist) {                                                               //nolint:gosec // the umask decides, as for mkdir(1)
			break
		}
	}
	if err != nil {
		signal.Stop(sigs)
		return "", nil, err
	}
	stop := make(chan struct{})
	go func() {
		select {
		case sig := <-sigs:
			removeAll(tmp)
			fmt.Fprintf(stderr, "\nlbrx: %v: stopped; removed the partial output %s\n", sig, tmp)
			code := 130
			if s, ok := sig.(syscall.Signal); ok {
				code = 128 + int(s)
			}
			os.Exit(code)
		case <-stop:
		}
	}()
	return tmp, func() {
		signal.Stop(sigs)
		close(stop)
		removeAll(tmp)
	}, nil
}

// removeAll removes dir, retrying when a file appeared in it meanwhile.
func removeAll(dir string) {
	for range 5 {
		if os.RemoveAll(dir) == nil { //nolint:gosec // our own temporary directory
			return
		}
	}
}

// removeStaleTemps removes temporary directories named prefix+PID-... in
// dir whose process no longer runs.
func removeStaleTemps(dir, prefix string, stderr io.Writer) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		rest, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok || !e.IsDir() {
			continue
		}
		pidText, _, _ := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if err != nil || pid <= 0 || pid == os.Getpid() || processAlive(pid) {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if os.RemoveAll(p) == nil { //nolint:gosec // a temporary directory of an earlier, dead run
			fmt.Fprintf(stderr, "lbrx: removed %s, left behind by an earlier run (process %d) that did not finish\n", p, pid)
		}
	}
}

// commitDir renames the finished tmp to dst. With replace, an existing
// dst directory is moved aside first and removed once tmp is in place
// (put back if the rename fails).
func commitDir(tmp, dst string, replace bool) error {
	if !replace {
		return os.Rename(tmp, dst) //nolint:gosec // the user names DST; tmp is ours
	}
	if _, err := os.Lstat(dst); errors.Is(err, fs.ErrNotExist) { //nolint:gosec // the user names DST
		return os.Rename(tmp, dst) //nolint:gosec // as above
	}
	old := tmp + ".old"
	if err := os.Rename(dst, old); err != nil { //nolint:gosec // the user asked to replace DST
		return err
	}
	if err := os.Rename(tmp, dst); err != nil { //nolint:gosec // as above
		_ = os.Rename(old, dst) //nolint:gosec // put the old DST back
		return err
	}
	return os.RemoveAll(old)
}
