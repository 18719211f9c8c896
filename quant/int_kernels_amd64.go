//go:build amd64 && !noasm

package quant

import (
	"golang.org/x/sys/cpu"

	"github.com/lbrx/lbrx/core"
)

// The integer row kernels (int_kernels_amd64.s): AVX2 (VPMADDUBSW) on
// every AVX2 CPU, AVX-512 with VNNI (VPDPBUSD) and VBMI (VPERMB, which
// gathers a Q4_0 group's scales and codes from its 18-byte blocks).

// Each writes y[i] = row i · act for n rows of nb blocks, stride bytes
// apart.

//go:noescape
func dotQ40VNNI(rows *byte, stride, n int, act *byte, nb int, y *float32)

//go:noescape
func dotQ40VNNIQuad(rows *byte, stride, n int, act *byte, nb int, y *float32)

//go:noescape
func dotQ80VNNI(rows *byte, stride, n int, act *byte, nb int, y *float32)

// The *4 kernels write y[r*yStride+i] = row i · input r for four packed
// inputs actStride bytes apart.

//go:noescape
func dotQ40VNNI4(rows *byte, stride, n int, act *byte, actStride, nb int, y *float32, yStride int)

//go:noescape
func dotQ40VNNI24(rows *byte, stride, n int, act *byte, actStride, nb int, y *float32, yStride int)

//go:noescape
func dotQ80VNNI24(rows *byte, stride, n int, act *byte, actStride, nb int, y *float32, yStride int)

//go:noescape
func dotQ80VNNI4(rows *byte, stride, n int, act *byte, actStride, nb int, y *float32, yStride int)

//go:noescape
func dotQ6KVNNI(rows *byte, stride, n int, act *byte, nb int, y *float32)

//go:noescape
func dotQ40AVX2Int(rows *byte, stride, n int, act *byte, nb int, y *float32)

//go:noescape
func dotQ80AVX2Int(rows *byte, stride, n int, act *byte, nb int, y *float32)

var hasVNNI = hasAVX512 && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VL &&
	cpu.X86.HasAVX512VNNI && cpu.X86.HasAVX512VBMI

// asmIntDot4 wraps a four-input kernel as asmIntDot does.
func asmIntDot4(f func(rows *byte, stride, n int, act *byte, actStride, nb int, y *float32, yStride int), bb int, packBytes func(int) int) intDot4 {
	return func(rows []byte, n, nb int, act []byte, actStride int, y []float32, yStride int) {
		if n == 0 {
			return
		}
		if nb == 0 {
			for r := range 4 {
				clear(y[r*yStride : r*yStride+n])
			}
			return
		}
		_ = rows[n*nb*bb-1]
		_ = act[3*actStride+packBytes(nb)-1]
		_ = y[3*yStride+n-1]
		f(&rows[0], nb*bb, n, &act[0], actStride, nb, &y[0], yStride)
	}
}

// quads runs a kernel that takes rows four at a time on the rows
// that fill fours and one that takes any count on the rest.
func quads(four, rest intDot, bb int) intDot {
	return func(rows []byte, nb int, act []byte, y []float32) {
		f := len(y) &^ 3
		four(rows, nb, act, y[:f])
		rest(rows[f*nb*bb:], nb, act, y[f:])
	}
}

// pairs4 runs a four-input kernel that takes rows two at a time (even)
// on the even part of n rows and one that takes them one at a time on
// a last odd row.
func pairs4(even, one intDot4, bb int) intDot4 {
	return func(rows []byte, n, nb int, act []byte, actStride int, y []float32, yStride int) {
		e := n &^ 1
		even(rows, e, nb, act, actStride, y, yStride)
		if e < n {
			one(rows[e*nb*bb:], 1, nb, act, actStride, y[e:], yStride)
		}
	}
}

func init() {
	if !hasAVX2FMA {
		return
	}
	installInt(core.SchemeQ4_0, "avx2", layoutQ40, asmIntDot(dotQ40AVX2Int, 18, packQ40Bytes))
	installInt(core.SchemeQ8_0, "avx2", layoutQ80, asmIntDot(dotQ80AVX2Int, 34, packQ80Bytes))
	if hasVNNI {
		installInt(core.SchemeQ4_0, "vnni", layoutQ40, asmIntDot(dotQ40VNNI, 18, packQ40Bytes))
		installInt(core.SchemeQ4_0, "vnni-quad", layoutQ40, quads(asmIntDot(dotQ40VNNIQuad, 18, packQ40Bytes), asmIntDot(dotQ40VNNI, 18, packQ40Bytes), 18))
		installInt(core.SchemeQ8_0, "vnni", layoutQ80, asmIntDot(dotQ80VNNI, 34, packQ80Bytes))
		installInt(core.SchemeQ6_K, "vnni", layoutQ6K, asmIntDot(dotQ6KVNNI, 210, packQ6KBytes))
		intKernels[core.SchemeQ4_0].dot4 = pairs4(asmIntDot4(dotQ40VNNI24, 18, packQ40Bytes), asmIntDot4(dotQ40VNNI4, 18, packQ40Bytes), 18)
		intKernels[core.SchemeQ8_0].dot4 = pairs4(asmIntDot4(dotQ80VNNI24, 34, packQ80Bytes), asmIntDot4(dotQ80VNNI4, 34, packQ80Bytes), 34)
		installGEMM()
	}
}
