package safetensors

import (
	"cmp"
	"encoding/binary"
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

// parseJSON parses the header with a strict hand-written JSON reader that
// sees duplicate keys (encoding/json would silently keep the last one) and
// matches field names exactly, as serde does.
func parseJSON(path string, buf []byte) ([]rawInfo, map[string]string, error) {
	if !utf8.Valid(buf) {
		return nil, nil, formatErr(path, "", "InvalidHeader: header is not valid UTF-8")
	}
	bad := func(tensor string, err error) error {
		return formatErr(path, tensor, "InvalidHeaderDeserialization: %v", err)
	}
	p := &jsonParser{b: buf}
	var meta map[string]string
	seen := map[string]bool{}
	var raws []rawInfo
	var tensorErr string
	err := p.object("the header", func(key string) error {
		if seen[key] {
			if key == metadataKey {
				return formatErr(path, "", "duplicate %s key", metadataKey)
			}
			return formatErr(path, key, "duplicate tensor name (the format disallows it; the reference reader would silently keep the last entry)")
		}
		seen[key] = true
		if key == metadataKey {
			var err error
			meta, err = parseMetadata(p)
			return err
		}
		tensorErr = key
		ri, err := parseInfo(p)
		if err != nil {
			return err
		}
		if _, ok := dtypes[ri.dtype]; !ok {
			return errors.New("unknown dtype " + strconv.Quote(ri.dtype))
		}
		tensorErr = ""
		ri.name = key
		raws = append(raws, ri)
		return nil
	})
	p.ws()
	if err == nil && p.i < len(p.b) { // not peek() != 0: a NUL is data too
		err = errors.New("unexpected data after the header object (only JSON whitespace may pad it)")
	}
	if err != nil {
		var fe *FormatError
		if errors.As(err, &fe) {
			return nil, nil, err
		}
		return nil, nil, bad(tensorErr, err)
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

// parseMetadata reads __metadata__: null, or an object of strings.
func parseMetadata(p *jsonParser) (map[string]string, error) {
	if p.peek() == 'n' {
		return nil, p.literal("null")
	}
	if p.peek() != '{' {
		return nil, errors.New(metadataKey + " must be an object of strings")
	}
	m := map[string]string{}
	err := p.object(metadataKey, func(k string) error {
		if _, dup := m[k]; dup {
			return errors.New(metadataKey + ": duplicate key " + strconv.Quote(k))
		}
		if p.peek() != '"' {
			return errors.New(metadataKey + ": value of " + strconv.Quote(k) + " is not a string")
		}
		v, err := p.str()
		m[k] = v
		return err
	})
	return m, err
}

// parseInfo reads {"dtype": ..., "shape": [...], "data_offsets": [b, e]};
// other fields are ignored, as serde does.
func parseInfo(p *jsonParser) (rawInfo, error) {
	var r rawInfo
	var haveD, haveS, haveO bool
	err := p.object("a tensor info", func(k string) error {
		dup := func(have *bool) error {
			if *have {
				return errors.New("duplicate field " + strconv.Quote(k))
			}
			*have = true
			return nil
		}
		var err error
		switch k {
		case "dtype":
			if err := dup(&haveD); err != nil {
				return err
			}
			if p.peek() != '"' {
				return errors.New("dtype must be a string")
			}
			r.dtype, err = p.str()
		case "shape":
			if err := dup(&haveS); err != nil {
				return err
			}
			if r.shape, err = p.uintArray(-1); err != nil {
				return errors.New("shape: " + err.Error())
			}
		case "data_offsets":
			if err := dup(&haveO); err != nil {
				return err
			}
			o, err := p.uintArray(2)
			if err != nil {
				return errors.New("data_offsets: " + err.Error())
			}
			r.offsets = [2]uint64{o[0], o[1]}
		default:
			err = p.skip(2)
		}
		return err
	})
	if err != nil {
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
