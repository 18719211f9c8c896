package safetensors

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/lbrx/lbrx/core"
)

// MaxHeaderSize is the reference reader's limit on the JSON header
// (MAX_HEADER_SIZE).
const MaxHeaderSize = 100_000_000

// metadataKey is the reserved header key holding the string metadata.
const metadataKey = "__metadata__"

// TensorInfo describes one tensor as the header states it.
type TensorInfo struct {
	Name string
	// DType is the file's dtype string ("BF16", "F8_E4M3", ...).
	DType string
	// Type is the matching core type, or core.Invalid for valid
	// safetensors types lbrx cannot hold (F8_*, U16, U64, C64, F4, F6_*);
	// such tensors are listed but Array refuses them (Bytes works).
	Type core.DType
	// Shape is the numpy-order shape; empty for a scalar.
	Shape core.Shape
	// Begin and End are the header's data_offsets, relative to the data
	// buffer that follows the header.
	Begin, End int64
	// Offset is the absolute file offset of the first byte and Size the
	// byte count (End - Begin).
	Offset, Size int64
	// File is the path of the file (the shard) holding the tensor.
	File string
}

// header is a parsed and validated safetensors header.
type header struct {
	infos []TensorInfo // in data order
	meta  map[string]string
	// dataStart is the file offset of the data buffer (8 + N).
	dataStart int64
}

// readHeader reads and validates the header of a file of the given size.
// It reads 8 + N bytes and nothing else; N is checked against the size
// before anything is allocated.
func readHeader(path string, r io.ReaderAt, size int64) (*header, error) {
	if size < 8 {
		return nil, formatErr(path, "", "HeaderTooSmall: file has %d bytes, need at least 8", size)
	}
	var nb [8]byte
	if _, err := r.ReadAt(nb[:], 0); err != nil {
		return nil, formatErr(path, "", "cannot read header size: %v", err)
	}
	n := binary.LittleEndian.Uint64(nb[:])
	if n > MaxHeaderSize {
		return nil, formatErr(path, "", "HeaderTooLarge: header size %d exceeds the limit of %d bytes", n, MaxHeaderSize)
	}
	if n > uint64(size)-8 {
		return nil, formatErr(path, "", "InvalidHeaderLength: header size %d runs past the end of the %d-byte file", n, size)
	}
	buf := make([]byte, n)
	if _, err := r.ReadAt(buf, 8); err != nil {
		return nil, formatErr(path, "", "cannot read the %d-byte header: %v", n, err)
	}
	return parseHeader(path, buf, size)
}

// rawInfo is one tensor entry before validation.
type rawInfo struct {
	name    string
	dtype   string
	shape   []uint64
	offsets [2]uint64
}

// parseHeader parses and validates the header buf of a file of fileSize
// bytes.
func parseHeader(path string, buf []byte, fileSize int64) (*header, error) {
	raws, meta, err := parseJSON(path, buf)
	if err != nil {
		return nil, err
	}
	dataStart := 8 + int64(len(buf))
	end, err := validate(path, raws)
	if err != nil {
		return nil, err
	}
	if end != uint64(fileSize-dataStart) {
		return nil, formatErr(path, "", "MetadataIncompleteBuffer: header describes %d data bytes, the file has %d after the header", end, fileSize-dataStart)
	}
	h := &header{meta: meta, dataStart: dataStart, infos: make([]TensorInfo, len(raws))}
	for i, r := range raws {
		shape := make(core.Shape, len(r.shape))
		for j, d := range r.shape {
			if d > math.MaxInt {
				// Only possible beside a zero dimension; lbrx shapes are ints.
				return nil, formatErr(path, r.name, "dimension %d of shape %v does not fit an int", j, r.shape)
			}
			shape[j] = int(d)
		}
		b, e := int64(r.offsets[0]), int64(r.offsets[1]) // <= fileSize, checked above
		h.infos[i] = TensorInfo{Name: r.name, DType: r.dtype, Type: dtypes[r.dtype].core, Shape: shape,
			Begin: b, End: e, Offset: dataStart + b, Size: e - b, File: path}
	}
	return h, nil
}

// parseJSON walks the JSON header token by token, so that duplicate keys
// are seen (encoding/json would silently keep the last one) and field names
// match exactly, as serde's do.
func parseJSON(path string, buf []byte) ([]rawInfo, map[string]string, error) {
	if !utf8.Valid(buf) {
		return nil, nil, formatErr(path, "", "InvalidHeader: header is not valid UTF-8")
	}
	bad := func(tensor string, err error) error {
		return formatErr(path, tensor, "InvalidHeaderDeserialization: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(buf))
	dec.UseNumber()
	if err := expectDelim(dec, '{', "the header to be a JSON object"); err != nil {
		return nil, nil, bad("", err)
	}
	var meta map[string]string
	seen := map[string]bool{}
	var raws []rawInfo
	for dec.More() {
		key, err := stringToken(dec)
		if err != nil {
			return nil, nil, bad("", err)
		}
		if seen[key] {
			if key == metadataKey {
				return nil, nil, formatErr(path, "", "duplicate %s key", metadataKey)
			}
			return nil, nil, formatErr(path, key, "duplicate tensor name (the format disallows it; the reference reader would silently keep the last entry)")
		}
		seen[key] = true
		if key == metadataKey {
			if meta, err = parseMetadata(dec); err != nil {
				return nil, nil, bad("", err)
			}
			continue
		}
		ri, err := parseInfo(dec)
		if err != nil {
			return nil, nil, bad(key, err)
		}
		if _, ok := dtypes[ri.dtype]; !ok {
			return nil, nil, bad(key, errors.New("unknown dtype "+strconv.Quote(ri.dtype)))
		}
		ri.name = key
		raws = append(raws, ri)
	}
	if err := expectDelim(dec, '}', "the end of the header object"); err != nil {
		return nil, nil, bad("", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, nil, bad("", errors.New("unexpected data after the header object (only JSON whitespace may pad it)"))
	}
	return raws, meta, nil
}

// validate sorts raws by offsets and checks them the way the reference
// validate does; it returns the end of the data.
func validate(path string, raws []rawInfo) (uint64, error) {
	slices.SortStableFunc(raws, func(a, b rawInfo) int {
		if c := cmp.Compare(a.offsets[0], b.offsets[0]); c != 0 {
			return c
		}
		return cmp.Compare(a.offsets[1], b.offsets[1])
	})
	var start uint64
	for _, t := range raws {
		s, e := t.offsets[0], t.offsets[1]
		if s != start || e < s {
			return 0, formatErr(path, t.name, "InvalidOffset: data_offsets [%d, %d] do not start where the previous tensor ended (%d): holes and overlaps are not allowed", s, e, start)
		}
		n := uint64(1)
		for _, d := range t.shape {
			hi, lo := bits.Mul64(n, d)
			if hi != 0 {
				return 0, formatErr(path, t.name, "ValidationOverflow: element count of shape %v overflows", t.shape)
			}
			n = lo
		}
		hi, nbits := bits.Mul64(n, uint64(dtypes[t.dtype].bits))
		if hi != 0 {
			return 0, formatErr(path, t.name, "ValidationOverflow: bit size of %s%v overflows", t.dtype, t.shape)
		}
		if nbits%8 != 0 {
			return 0, formatErr(path, t.name, "MisalignedSlice: %s%v is %d bits, not a whole number of bytes", t.dtype, t.shape, nbits)
		}
		if e-s != nbits/8 {
			return 0, formatErr(path, t.name, "TensorInvalidInfo: %s%v needs %d bytes but data_offsets [%d, %d] hold %d", t.dtype, t.shape, nbits/8, s, e, e-s)
		}
		start = e
	}
	return start, nil
}

func expectDelim(dec *json.Decoder, d json.Delim, what string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if got, ok := tok.(json.Delim); !ok || got != d {
		return errors.New("expected " + what)
	}
	return nil
}

func stringToken(dec *json.Decoder) (string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", err
	}
	s, ok := tok.(string)
	if !ok {
		return "", errors.New("expected a string")
	}
	return s, nil
}

// parseMetadata reads __metadata__: null, or an object of strings.
func parseMetadata(dec *json.Decoder) (map[string]string, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if tok == nil {
		return nil, nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New(metadataKey + " must be an object of strings")
	}
	m := map[string]string{}
	for dec.More() {
		k, err := stringToken(dec)
		if err != nil {
			return nil, err
		}
		if _, dup := m[k]; dup {
			return nil, errors.New(metadataKey + ": duplicate key " + strconv.Quote(k))
		}
		v, err := dec.Token()
		if err != nil {
			return nil, err
		}
		s, ok := v.(string)
		if !ok {
			return nil, errors.New(metadataKey + ": value of " + strconv.Quote(k) + " is not a string")
		}
		m[k] = s
	}
	return m, expectDelim(dec, '}', "the end of "+metadataKey)
}

// parseInfo reads {"dtype": ..., "shape": [...], "data_offsets": [b, e]};
// other fields are ignored, as serde does.
func parseInfo(dec *json.Decoder) (rawInfo, error) {
	var r rawInfo
	if err := expectDelim(dec, '{', "a tensor info object"); err != nil {
		return r, err
	}
	var haveD, haveS, haveO bool
	for dec.More() {
		k, err := stringToken(dec)
		if err != nil {
			return r, err
		}
		dup := func(have *bool) error {
			if *have {
				return errors.New("duplicate field " + strconv.Quote(k))
			}
			*have = true
			return nil
		}
		switch k {
		case "dtype":
			if err := dup(&haveD); err != nil {
				return r, err
			}
			if r.dtype, err = stringToken(dec); err != nil {
				return r, errors.New("dtype must be a string")
			}
		case "shape":
			if err := dup(&haveS); err != nil {
				return r, err
			}
			if r.shape, err = uintArray(dec, -1); err != nil {
				return r, errors.New("shape: " + err.Error())
			}
		case "data_offsets":
			if err := dup(&haveO); err != nil {
				return r, err
			}
			o, err := uintArray(dec, 2)
			if err != nil {
				return r, errors.New("data_offsets: " + err.Error())
			}
			r.offsets = [2]uint64{o[0], o[1]}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return r, err
			}
		}
	}
	if err := expectDelim(dec, '}', "the end of the tensor info"); err != nil {
		return r, err
	}
	switch {
	case !haveD:
		return r, errors.New("missing field \"dtype\"")
	case !haveS:
		return r, errors.New("missing field \"shape\"")
	case !haveO:
		return r, errors.New("missing field \"data_offsets\"")
	}
	return r, nil
}

// uintArray reads an array of unsigned integers; want >= 0 fixes its length.
func uintArray(dec *json.Decoder, want int) ([]uint64, error) {
	if err := expectDelim(dec, '[', "an array of unsigned integers"); err != nil {
		return nil, err
	}
	var out []uint64
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		num, ok := tok.(json.Number)
		if !ok {
			return nil, errors.New("expected an unsigned integer")
		}
		v, err := strconv.ParseUint(string(num), 10, 64)
		if err != nil {
			return nil, errors.New(string(num) + " is not an unsigned 64-bit integer")
		}
		if want >= 0 && len(out) == want {
			return nil, errors.New("expected exactly " + strconv.Itoa(want) + " values")
		}
		out = append(out, v)
	}
	if want >= 0 && len(out) != want {
		return nil, errors.New("expected exactly " + strconv.Itoa(want) + " values")
	}
	if out == nil {
		out = []uint64{}
	}
	return out, expectDelim(dec, ']', "the end of the array")
}
