//go:build amd64 && !noasm

package quant

import "github.com/lbrx/lbrx/core"

//go:noescape
func decodeQ40AVX512(dst *float32, src *byte, nb int)

//go:noescape
func decodeQ80AVX512(dst *float32, src *byte, nb int)

func init() {
	if !hasAVX512 {
		return
	}
	blockDecoders[core.SchemeQ4_0] = asmDecoder(decodeQ40AVX512, 18)
	blockDecoders[core.SchemeQ8_0] = asmDecoder(decodeQ80AVX512, 34)
}

// asmDecoder wraps a decoder of 32-value blocks of bb bytes; it checks
// the lengths once so the kernel can run unchecked.
func asmDecoder(f func(dst *float32, src *byte, nb int), bb int) func(src []byte, dst []float32) {
	return func(src []byte, dst []float32) {
		nb := len(dst) / 32
		if nb == 0 {
			return
		}
		_ = src[nb*bb-1]
		f(&dst[0], &src[0], nb)
	}
}
