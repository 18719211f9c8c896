package safetensors

import (
	"encoding/binary"
	"fmt"
	"math"
	"runtime"

	"github.com/x448/float16"

	"github.com/lbrx/lbrx/core"
)

// Float32 returns the named tensor's values converted to float32 in a new
// tensor: every dtype lbrx holds, and also the FP8 types F8_E4M3,
// F8_E5M2 and F8_E8M0 (decoded exactly: each of their values is a
// float32) and U16/U64 (rounded to nearest). F4, F6_*, the FNUZ FP8
// variants and C64 give an error naming the dtype.
func (f *File) Float32(name string) (*core.Tensor[float32], error) {
	t, sh, err := f.lookup(name)
	if err != nil {
		return nil, err
	}
	conv, ok := toF32[t.DType]
	if !ok {
		return nil, fmt.Errorf("safetensors %s: tensor %q: converting dtype %s to float32 is not supported", t.File, name, t.DType)
	}
	src, err := sh.source(f.mode)
	if err != nil {
		return nil, err
	}
	b, err := src.ReadBytes(t.Offset, t.Size)
	if err != nil {
		return nil, fmt.Errorf("safetensors %s: tensor %q: %w", t.File, name, err)
	}
	out, err := core.Zeros[float32](t.Shape...)
	if err != nil {
		return nil, fmt.Errorf("safetensors %s: tensor %q: %w", t.File, name, err)
	}
	dst, err := out.Data()
	if err != nil {
		return nil, err
	}
	w := dtypes[t.DType].bits / 8
	for i := range dst {
		dst[i] = conv(b[i*w : (i+1)*w])
	}
	runtime.KeepAlive(src) // b may point into the mapping src owns
	return out.WithMetadata(core.Metadata{Name: name})
}

// toF32 decodes one little-endian element of each convertible dtype.
var toF32 = map[string]func([]byte) float32{
	"F32":  func(b []byte) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(b)) },
	"F64":  func(b []byte) float32 { return float32(math.Float64frombits(binary.LittleEndian.Uint64(b))) },
	"F16":  func(b []byte) float32 { return float16.Frombits(binary.LittleEndian.Uint16(b)).Float32() },
	"BF16": func(b []byte) float32 { return core.BFloat16(binary.LittleEndian.Uint16(b)).Float32() },
	"I8":   func(b []byte) float32 { return float32(int8(b[0])) },
	"U8":   func(b []byte) float32 { return float32(b[0]) },
	"BOOL": func(b []byte) float32 {
		if b[0] != 0 {
			return 1
		}
		return 0
	},
	"I16":     func(b []byte) float32 { return float32(int16(binary.LittleEndian.Uint16(b))) },
	"U16":     func(b []byte) float32 { return float32(binary.LittleEndian.Uint16(b)) },
	"I32":     func(b []byte) float32 { return float32(int32(binary.LittleEndian.Uint32(b))) },
	"U32":     func(b []byte) float32 { return float32(binary.LittleEndian.Uint32(b)) },
	"I64":     func(b []byte) float32 { return float32(int64(binary.LittleEndian.Uint64(b))) },
	"U64":     func(b []byte) float32 { return float32(binary.LittleEndian.Uint64(b)) },
	"F8_E4M3": func(b []byte) float32 { return e4m3(b[0]) },
	"F8_E5M2": func(b []byte) float32 { return e5m2(b[0]) },
	"F8_E8M0": func(b []byte) float32 { return e8m0(b[0]) },
}

// e4m3 decodes float8_e4m3fn: bias 7, no infinities, S.1111.111 is NaN.
func e4m3(x byte) float32 {
	sign := uint32(x>>7) << 31
	exp, man := uint32(x>>3)&0xf, uint32(x)&7
	switch {
	case exp == 0xf && man == 7:
		return math.Float32frombits(sign | 0x7fc00000)
	case exp == 0 && man == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal: man * 2^-9
		return math.Float32frombits(sign | math.Float32bits(float32(man)/512))
	}
	return math.Float32frombits(sign | (exp+127-7)<<23 | man<<20)
}

// e5m2 decodes float8_e5m2: the top byte of an IEEE half.
func e5m2(x byte) float32 {
	return float16.Frombits(uint16(x) << 8).Float32()
}

// e8m0 decodes float8_e8m0fnu: 2^(x-127), 0xff is NaN.
func e8m0(x byte) float32 {
	switch x {
	case 0xff:
		return float32(math.NaN())
	case 0: // 2^-127 is subnormal in float32
		return math.Float32frombits(0x00400000)
	}
	return math.Float32frombits(uint32(x) << 23)
}
