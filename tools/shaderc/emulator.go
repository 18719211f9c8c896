package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lbrx/lbrx/metal"
)

//go:embed msl/metal_stdlib msl/emu.h msl/emu.cpp
var mslFS embed.FS

// cxxFlags compile the kernels as C++ exactly as the check needs: no fast
// math (as the Metal build), warnings that point at real bugs as errors,
// and UBSan aborting on undefined behaviour (misaligned loads, signed
// overflow in index arithmetic, out-of-range shifts), which a GPU would
// not report either.
var cxxFlags = []string{"-std=c++20", "-O1", "-fno-fast-math", "-ffp-contract=off",
	"-fsanitize=undefined", "-fno-sanitize-recover=all",
	"-Wall", "-Wno-unused-parameter", "-Wno-unused-variable", "-Wno-unused-function", "-Werror=return-type"}

var attrStrip = regexp.MustCompile(`\[\[[^\]]*\]\]`)

// emulator is a built grid emulator for one shader directory.
type emulator struct {
	exe     string
	kernels []kernelFunc

	mu     sync.Mutex
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Reader
	stderr *tailBuffer
	seed   uint32
}

// tailBuffer keeps the last 4 KiB written to it (the emulator's stderr,
// where UBSan reports).
type tailBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > 4096 {
		t.b = t.b[len(t.b)-4096:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.b))
}

// buildEmulator compiles every .metal file of dir as C++ with the MSL
// compatibility header, plus the grid emulator, into one executable
// (cached under the user cache directory by the hash of all inputs).
func buildEmulator(dir, opt string, logf func(string, ...any)) (*emulator, error) {
	flags := slices.Clone(cxxFlags)
	if opt != "" {
		flags[slices.Index(flags, "-O1")] = opt
	}
	cxx, err := exec.LookPath("g++")
	if err != nil {
		return nil, errors.New("shaderc check: g++ not found; install Debian's g++ package (apt-get install g++)")
	}
	work, err := os.MkdirTemp("", "lbrx-shaderc-")
	if err != nil {
		return nil, err
	}
	defer func() { _ = os.RemoveAll(work) }()
	mslDir := filepath.Join(work, "msl")
	stubDir := filepath.Join(work, "stub")
	srcDir := filepath.Join(work, "src")
	for _, d := range []string{mslDir, stubDir, srcDir} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return nil, err
		}
	}
	h := sha256.New()
	fmt.Fprintln(h, cxx, strings.Join(flags, " "))
	for _, n := range []string{"metal_stdlib", "emu.h", "emu.cpp"} {
		b, err := mslFS.ReadFile("msl/" + n)
		if err != nil {
			return nil, err
		}
		h.Write(b)
		if err := os.WriteFile(filepath.Join(mslDir, n), b, 0o600); err != nil {
			return nil, err
		}
	}
	if err := os.WriteFile(filepath.Join(stubDir, "metal_stdlib"), nil, 0o600); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("shaderc check: %w", err)
	}
	var metals []string
	for _, e := range entries {
		if e.IsDir() || !metal.IsSource(e.Name()) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name())) //nolint:gosec // the shader directory the user named
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", e.Name(), len(b))
		h.Write(b)
		// Attributes go: C++ would expand address-space macros inside them.
		if err := os.WriteFile(filepath.Join(srcDir, e.Name()), attrStrip.ReplaceAll(b, nil), 0o600); err != nil { //nolint:gosec // a file name from ReadDir, inside our temp dir
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(stubDir, e.Name()), b, 0o600); err != nil { //nolint:gosec // a file name from ReadDir, inside our temp dir
			return nil, err
		}
		if strings.HasSuffix(e.Name(), ".metal") {
			metals = append(metals, e.Name())
		}
	}
	if len(metals) == 0 {
		return nil, fmt.Errorf("shaderc check: no .metal files in %s", dir)
	}
	em := &emulator{}
	var units []string
	for _, m := range metals {
		// Preprocess with an empty metal_stdlib so that address spaces and
		// attributes survive, then read the kernel signatures.
		pp, err := exec.Command(cxx, "-std=c++20", "-E", "-P", "-x", "c++", "-I", stubDir, filepath.Join(stubDir, m)).CombinedOutput() //nolint:gosec // g++ from PATH on our own files
		if err != nil {
			return nil, fmt.Errorf("shaderc check: preprocessing %s: %w\n%s", m, err, pp)
		}
		ks, err := parseKernels(m, string(pp))
		if err != nil {
			return nil, err
		}
		var w strings.Builder
		fmt.Fprintf(&w, "#include %q\n", m)
		for _, k := range ks {
			s, err := wrapper(k)
			if err != nil {
				return nil, err
			}
			w.WriteString(s)
		}
		em.kernels = append(em.kernels, ks...)
		unit := filepath.Join(srcDir, "emu_"+strings.TrimSuffix(m, ".metal")+".cpp")
		if err := os.WriteFile(unit, []byte(w.String()), 0o600); err != nil {
			return nil, err
		}
		h.Write([]byte(w.String()))
		units = append(units, unit)
	}
	cacheRoot, err := os.UserCacheDir()
	if err != nil {
		cacheRoot = os.TempDir()
	}
	key := hex.EncodeToString(h.Sum(nil))[:24]
	exe := filepath.Join(cacheRoot, "lbrx-shaderc", key, "mslemu")
	em.exe = exe
	if _, err := os.Stat(exe); err == nil {
		logf("emulator: cached %s", exe)
		return em, nil
	}
	start := time.Now()
	emuObj, err := emuObject(cxx, flags, cacheRoot, mslDir)
	if err != nil {
		return nil, err
	}
	objs := make([]string, 0, len(units)+1)
	errs := make([]error, len(units))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for i, u := range units {
		obj := strings.TrimSuffix(u, ".cpp") + ".o"
		objs = append(objs, obj)
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			args := append(slices.Clone(flags), "-I", mslDir, "-I", srcDir, "-c", u, "-o", obj)
			if out, err := exec.Command(cxx, args...).CombinedOutput(); err != nil { //nolint:gosec // g++ from PATH on our own files
				errs[i] = fmt.Errorf("compiling %s as C++: %w\n%s", filepath.Base(u), err, out)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("shaderc check: %w", err)
	}
	objs = append(objs, emuObj)
	if err := os.MkdirAll(filepath.Dir(exe), 0o750); err != nil {
		return nil, err
	}
	// Link to a private name and rename, so that concurrent checks never
	// see a half-written emulator.
	tf, err := os.CreateTemp(filepath.Dir(exe), "mslemu-*.tmp")
	if err != nil {
		return nil, err
	}
	tmp := tf.Name()
	_ = tf.Close()
	defer func() { _ = os.Remove(tmp) }()
	if out, err := exec.Command(cxx, append(objs, "-fsanitize=undefined", "-o", tmp)...).CombinedOutput(); err != nil { //nolint:gosec // g++ from PATH on our own files
		return nil, fmt.Errorf("shaderc check: linking the emulator: %w\n%s", err, out)
	}
	if err := os.Rename(tmp, exe); err != nil {
		return nil, err
	}
	logf("emulator: compiled %d kernels from %d files in %.1fs", len(em.kernels), len(metals), time.Since(start).Seconds())
	return em, nil
}

// emuObject returns the compiled grid emulator runtime (emu.cpp), cached
// by the hash of its sources and flags: it changes far less often than
// the kernels.
func emuObject(cxx string, flags []string, cacheRoot, mslDir string) (string, error) {
	h := sha256.New()
	fmt.Fprintln(h, cxx, strings.Join(flags, " "))
	for _, n := range []string{"emu.h", "emu.cpp"} {
		b, err := mslFS.ReadFile("msl/" + n)
		if err != nil {
			return "", err
		}
		h.Write(b)
	}
	obj := filepath.Join(cacheRoot, "lbrx-shaderc", "emu-"+hex.EncodeToString(h.Sum(nil))[:24]+".o")
	if _, err := os.Stat(obj); err == nil {
		return obj, nil
	}
	if err := os.MkdirAll(filepath.Dir(obj), 0o750); err != nil {
		return "", err
	}
	tf, err := os.CreateTemp(filepath.Dir(obj), "emu-*.o.tmp")
	if err != nil {
		return "", err
	}
	tmp := tf.Name()
	_ = tf.Close()
	defer func() { _ = os.Remove(tmp) }()
	args := append(slices.Clone(flags), "-c", filepath.Join(mslDir, "emu.cpp"), "-o", tmp)
	if out, err := exec.Command(cxx, args...).CombinedOutput(); err != nil { //nolint:gosec // g++ from PATH on our own files
		return "", fmt.Errorf("shaderc check: compiling the emulator: %w\n%s", err, out)
	}
	return obj, os.Rename(tmp, obj)
}

// syntaxCheck compiles the combined source (what the run-time compile
// gets) as C++ so that duplicate helpers across files are caught.
func syntaxCheck(combined string) error {
	cxx, err := exec.LookPath("g++")
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "lbrx-shaderc-syntax-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(work) }()
	for _, n := range []string{"metal_stdlib", "emu.h"} {
		b, err := mslFS.ReadFile("msl/" + n)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(work, n), b, 0o600); err != nil {
			return err
		}
	}
	src := filepath.Join(work, "combined.cpp")
	if err := os.WriteFile(src, attrStrip.ReplaceAll([]byte(combined), nil), 0o600); err != nil {
		return err
	}
	args := append(slices.Clone(cxxFlags), "-fsyntax-only", "-I", work, src)
	if out, err := exec.Command(cxx, args...).CombinedOutput(); err != nil { //nolint:gosec // g++ from PATH on our own files
		return fmt.Errorf("the combined run-time source does not compile as one unit: %w\n%s", err, out)
	}
	return nil
}

// buf is one buffer of a dispatch: its [[buffer(Index)]] and contents.
type buf struct {
	Index int
	Data  []byte
}

func (e *emulator) start() error {
	cmd := exec.Command(e.exe) //nolint:gosec // the emulator this process just built
	in, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	e.stderr = &tailBuffer{}
	cmd.Stderr = e.stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	e.cmd, e.in, e.out = cmd, in, bufio.NewReaderSize(out, 1<<20)
	return nil
}

func (e *emulator) stop() {
	if e.cmd == nil {
		return
	}
	_ = e.in.Close()
	_ = e.cmd.Process.Kill()
	_ = e.cmd.Wait()
	e.cmd = nil
}

// dispatchTimeout bounds one emulated dispatch (a corrupted kernel may loop).
const dispatchTimeout = 60 * time.Second

// run dispatches kernel name with launch l over bufs and returns every
// buffer's contents afterwards, in the order given.
func (e *emulator) run(name string, l metal.Launch, bufs []buf) ([][]byte, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.cmd == nil {
		if err := e.start(); err != nil {
			return nil, err
		}
	}
	e.seed++
	var req bytes.Buffer
	w := func(v any) { _ = binary.Write(&req, binary.LittleEndian, v) }
	w(uint32(1))
	w(uint32(len(name)))
	req.WriteString(name)
	for _, v := range []int{l.Groups.X, l.Groups.Y, l.Groups.Z, l.Threads.X, l.Threads.Y, l.Threads.Z} {
		w(uint32(v))
	}
	w(e.seed)
	w(uint32(len(bufs)))
	for _, b := range bufs {
		w(uint32(b.Index))
		w(uint64(len(b.Data)))
		req.Write(b.Data)
	}
	if l.ThreadgroupMem > 0 {
		w(uint32(1))
		w(uint32(0))
		w(uint32(l.ThreadgroupMem))
	} else {
		w(uint32(0))
	}
	type result struct {
		out [][]byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := e.exchange(req.Bytes(), bufs)
		done <- result{out, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			stderr := e.stderr
			e.stop()
			if msg := stderr.String(); msg != "" {
				r.err = fmt.Errorf("%w\n%s", r.err, msg)
			}
		}
		return r.out, r.err
	case <-time.After(dispatchTimeout):
		e.stop()
		<-done
		return nil, fmt.Errorf("%s: no result after %s (a kernel that never finishes?)", name, dispatchTimeout)
	}
}

func (e *emulator) exchange(req []byte, bufs []buf) ([][]byte, error) {
	if _, err := e.in.Write(req); err != nil {
		return nil, fmt.Errorf("emulator: %w", err)
	}
	var hdr [8]byte
	if _, err := io.ReadFull(e.out, hdr[:]); err != nil {
		return nil, fmt.Errorf("emulator exited without a result: %w", err)
	}
	status := binary.LittleEndian.Uint32(hdr[:4])
	msg := make([]byte, binary.LittleEndian.Uint32(hdr[4:]))
	if _, err := io.ReadFull(e.out, msg); err != nil {
		return nil, err
	}
	if status != 0 {
		return nil, errors.New(string(msg))
	}
	out := make([][]byte, len(bufs))
	for i, b := range bufs {
		out[i] = make([]byte, len(b.Data))
		if _, err := io.ReadFull(e.out, out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}
