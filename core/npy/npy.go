package npy

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/lbrx/lbrx/core"
)

const magic = "\x93NUMPY"

// maxHeader bounds the header a reader accepts: NumPy itself refuses
// headers over 10000 bytes unless told otherwise.
const maxHeader = 1 << 16

var descrs = map[string]core.DType{
	"<f8": core.F64, "<f4": core.F32, "<f2": core.F16,
	"<i8": core.I64, "<i4": core.I32, "<i2": core.I16, "|i1": core.I8, "<i1": core.I8,
	"<u4": core.U32, "|u1": core.U8, "<u1": core.U8, "|b1": core.Bool,
}

func descrOf(d core.DType) (string, bool) {
	for s, t := range descrs {
		// One-byte types are written with NumPy's "not applicable" order.
		if t == d && (d.Size() > 1 || s[0] == '|') {
			return s, true
		}
	}
	return "", false
}

// Write stores a (any device; it is read to the host) as a version 1.0
// .npy stream.
func Write(w io.Writer, a *core.Array) error {
	descr, ok := descrOf(a.DType())
	if !ok {
		return fmt.Errorf("npy: %v has no NumPy element type (cast it first)", a.DType())
	}
	data, err := a.Bytes()
	if err != nil {
		return fmt.Errorf("npy: %w", err)
	}
	var dims []string
	for _, d := range a.Shape() {
		dims = append(dims, strconv.Itoa(d))
	}
	shape := strings.Join(dims, ", ")
	if len(dims) == 1 {
		shape += ","
	}
	h := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr, shape)
	total := len(magic) + 4 + len(h) + 1
	h += strings.Repeat(" ", (64-total%64)%64) + "\n"
	if len(h) > 0xffff {
		return fmt.Errorf("npy: header of %d bytes does not fit format 1.0", len(h))
	}
	bw := bufio.NewWriter(w)
	_, _ = bw.WriteString(magic)
	_, _ = bw.Write([]byte{1, 0, byte(len(h)), byte(len(h) >> 8)})
	_, _ = bw.WriteString(h)
	_, _ = bw.Write(data)
	return bw.Flush()
}

// WriteFile writes a to path as a .npy file.
func WriteFile(path string, a *core.Array) error {
	f, err := os.Create(path) //nolint:gosec // the caller names the file to write
	if err != nil {
		return err
	}
	if err := Write(f, a); err != nil {
		_ = f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}

var (
	reDescr   = regexp.MustCompile(`'descr':\s*'([^']*)'`)
	reFortran = regexp.MustCompile(`'fortran_order':\s*(True|False)`)
	reShape   = regexp.MustCompile(`'shape':\s*\(([^)]*)\)`)
)

// ReadFile reads a .npy file into a host array.
func ReadFile(path string) (*core.Array, error) {
	f, err := os.Open(path) //nolint:gosec // the caller names the file to read
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	a, err := Read(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return a, nil
}

// Read reads a .npy stream of size bytes (the data must be exactly what
// the header describes; size bounds every allocation).
func Read(r io.Reader, size int64) (*core.Array, error) {
	pre := make([]byte, len(magic)+2)
	if _, err := io.ReadFull(r, pre); err != nil {
		return nil, fmt.Errorf("npy: reading the preamble: %w", err)
	}
	if string(pre[:len(magic)]) != magic {
		return nil, errors.New(`npy: not a .npy file (no "\x93NUMPY" magic)`)
	}
	var hlen int
	switch pre[len(magic)] {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, fmt.Errorf("npy: header length: %w", err)
		}
		hlen = int(binary.LittleEndian.Uint16(b[:]))
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, fmt.Errorf("npy: header length: %w", err)
		}
		hlen = int(binary.LittleEndian.Uint32(b[:]))
	default:
		return nil, fmt.Errorf("npy: format version %d.%d is not supported (1.0, 2.0, 3.0)", pre[len(magic)], pre[len(magic)+1])
	}
	if hlen > maxHeader || int64(hlen) > size {
		return nil, fmt.Errorf("npy: header length %d exceeds the limit (%d) or the file", hlen, maxHeader)
	}
	hb := make([]byte, hlen)
	if _, err := io.ReadFull(r, hb); err != nil {
		return nil, fmt.Errorf("npy: header: %w", err)
	}
	h := string(bytes.TrimRight(hb, " \n\x00"))
	m := reDescr.FindStringSubmatch(h)
	if m == nil {
		return nil, fmt.Errorf("npy: header %q has no 'descr'", h)
	}
	dt, ok := descrs[m[1]]
	if !ok {
		return nil, fmt.Errorf("npy: element type %q is not supported (little-endian numbers and bool only)", m[1])
	}
	if f := reFortran.FindStringSubmatch(h); len(f) < 2 || f[1] != "False" {
		return nil, fmt.Errorf("npy: header %q: only C order ('fortran_order': False) is supported", h)
	}
	sm := reShape.FindStringSubmatch(h)
	if sm == nil {
		return nil, fmt.Errorf("npy: header %q has no 'shape' tuple", h)
	}
	var shape core.Shape
	for _, f := range strings.Split(sm[1], ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		d, err := strconv.Atoi(strings.TrimSuffix(f, "L"))
		if err != nil || d < 0 {
			return nil, fmt.Errorf("npy: shape entry %q is not a non-negative integer", f)
		}
		shape = append(shape, d)
	}
	if err := shape.Validate(); err != nil {
		return nil, fmt.Errorf("npy: %w", err)
	}
	dataAt := int64(len(pre) + hlen + 2)
	if pre[len(magic)] != 1 {
		dataAt += 2
	}
	n := int64(shape.NumElements())
	if want := n * int64(dt.Size()); want != size-dataAt {
		return nil, fmt.Errorf("npy: shape %v of %v needs %d data bytes, the file holds %d", shape, dt, want, size-dataAt)
	}
	a, err := core.Empty(core.CPU(), dt, shape)
	if err != nil {
		return nil, fmt.Errorf("npy: %w", err)
	}
	buf := a.Storage().(core.HostStorage).Bytes()
	if _, err := io.ReadFull(r, buf[:n*int64(dt.Size())]); err != nil {
		return nil, fmt.Errorf("npy: data: %w", err)
	}
	return a, nil
}
