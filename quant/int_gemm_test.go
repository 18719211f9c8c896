package quant

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
)

// gemmSchemes are the schemes whose integer kernels have a GEMM here,
// with the offset their panels add to the codes.
func gemmSchemes(t *testing.T) []core.Scheme {
	var out []core.Scheme
	for _, s := range []core.Scheme{core.SchemeQ4_0, core.SchemeQ8_0} {
		if ik := intKernels[s]; ik != nil && ik.gemm != nil {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		t.Skip("no int8 GEMM on this CPU/build (it needs AVX-512 VNNI and VBMI; the row kernels run)")
	}
	return out
}

// TestGEMMRepackMatchesGo: the assembly repack writes the panel the
// portable repackGo does, byte for byte, on 1-5 and 64 blocks of rows
// further apart than a row (as in a weight whose panel starts mid-way),
// into a dirty buffer, without writing past it.
func TestGEMMRepackMatchesGo(t *testing.T) {
	r := rand.New(rand.NewPCG(71, 72))
	for _, s := range gemmSchemes(t) {
		g := intKernels[s].gemm
		bb := BlockBytes(s)
		for _, nb := range []int{1, 2, 3, 4, 5, 64} {
			stride := nb*bb + 3*bb
			rows := randomBlocks(r, s, (gemmRows*stride)/bb)
			rows = rows[:(gemmRows-1)*stride+nb*bb]
			want := make([]byte, nb*panelBlockBytes)
			repackGo(rows, stride, nb, bb, g.offset, want)
			got := make([]byte, nb*panelBlockBytes+64)
			for i := range got {
				got[i] = 0xa5
			}
			g.repack(rows, stride, nb, got[:nb*panelBlockBytes])
			require.Equal(t, want, got[:nb*panelBlockBytes], "%s nb=%d", s, nb)
			for _, v := range got[nb*panelBlockBytes:] {
				require.Equal(t, byte(0xa5), v, "%s nb=%d: wrote past the panel", s, nb)
			}
		}
	}
}

// TestRepackGoLayout holds the portable repack to the weights it
// repacks: every panel code minus the offset, times the panel's scale,
// is the dequantized weight.
func TestRepackGoLayout(t *testing.T) {
	r := rand.New(rand.NewPCG(73, 74))
	for _, s := range []core.Scheme{core.SchemeQ4_0, core.SchemeQ8_0} {
		bb, nb := BlockBytes(s), 3
		off := int32(8)
		if s == core.SchemeQ8_0 {
			off = 128
		}
		rows := randomBlocks(r, s, gemmRows*nb)
		panel := make([]byte, nb*panelBlockBytes)
		repackGo(rows, nb*bb, nb, bb, off, panel)
		w := make([]float32, gemmRows*nb*32)
		require.NoError(t, DecodeBlocks(s, w, rows))
		for b := range nb {
			p := panel[b*panelBlockBytes:]
			for row := range gemmRows {
				d := math.Float32frombits(uint32(p[4*row]) | uint32(p[4*row+1])<<8 | uint32(p[4*row+2])<<16 | uint32(p[4*row+3])<<24)
				for v := range 32 {
					u := int32(p[64+64*(v/4)+4*row+v%4])
					require.Equal(t, w[row*nb*32+b*32+v], d*float32(u-off), "%s block %d row %d value %d", s, b, row, v)
				}
			}
		}
	}
}

// TestGEMMMatchesGoDot runs matMulGEMM on 1-17 and 64 inputs (every
// micro-kernel width 1-8, with the tile left over) times 0-13, 16, 17
// and 35 rows (whole panels and the last one's row masks) of 1, 2, 5
// and 64 blocks, each output against the portable dot of its row and
// input, nothing written past y; a NaN input makes its outputs NaN.
func TestGEMMMatchesGoDot(t *testing.T) {
	r := rand.New(rand.NewPCG(75, 76))
	for _, s := range gemmSchemes(t) {
		ik := intKernels[s]
		bb := BlockBytes(s)
		for _, nb := range []int{1, 2, 5, 64} {
			ms := []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17}
			ns := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 16, 17, 35}
			if nb == 64 {
				ms, ns = []int{3, 8, 17, 64}, []int{1, 16, 35}
			}
			for _, m := range ms {
				for _, n := range ns {
					name := fmt.Sprintf("%s nb=%d m=%d n=%d", s, nb, m, n)
					w := &BlockWeight{Scheme: s, N: n, K: 32 * nb, Blocks: randomBlocks(r, s, n*nb)}
					x := randomX(r, m*w.K)
					nan := -1
					if m > 2 {
						nan = m / 2
						x[nan*w.K+w.K/2] = float32(math.NaN())
					}
					y := make([]float32, m*n+5)
					for i := range y {
						y[i] = 42
					}
					w.matMulGEMM(y, n, 0, x, m, ik.gemm)
					for i := m * n; i < len(y); i++ {
						require.Equal(t, float32(42), y[i], "%s: wrote past y", name)
					}
					var a q8Row
					for in := range m {
						quantizeQ8Row(&a, x[in*w.K:(in+1)*w.K])
						for row := range n {
							got := y[in*n+row]
							if in == nan {
								require.True(t, math.IsNaN(float64(got)), "%s input %d row %d: %g, want NaN", name, in, row, got)
								continue
							}
							wr := w.Blocks[row*nb*bb : (row+1)*nb*bb]
							want := ik.goDot(wr, &a)
							require.LessOrEqualf(t, math.Abs(float64(got-want)), intTermsTol(t, s, wr, &a), "%s input %d row %d: %g, Go %g", name, in, row, got, want)
						}
					}
				}
			}
		}
	}
}

// TestGEMMExtremeCodes: Q4_0 codes 0 and 15 and Q8_0 codes -128 and
// 127 against input codes ±127 (the integer sums' extremes).
func TestGEMMExtremeCodes(t *testing.T) {
	for _, s := range gemmSchemes(t) {
		ik := intKernels[s]
		nb, n, m := 9, 17, 9
		bb := BlockBytes(s)
		for _, c := range []byte{0x00, 0x80, 0x7f, 0xff, 0xf0, 0x0f} {
			row := make([]byte, nb*bb)
			for b := range nb {
				for j := range bb {
					row[b*bb+j] = c
				}
				copy(row[b*bb:], []byte{0x00, 0x3c}) // d = 1
			}
			w := &BlockWeight{Scheme: s, N: n, K: 32 * nb}
			for range n {
				w.Blocks = append(w.Blocks, row...)
			}
			x := make([]float32, m*w.K)
			for i := range x {
				x[i] = 1
				if i%3 == 0 || i/w.K%2 == 1 {
					x[i] = -1
				}
			}
			y := make([]float32, m*n)
			w.matMulGEMM(y, n, 0, x, m, ik.gemm)
			var a q8Row
			for in := range m {
				quantizeQ8Row(&a, x[in*w.K:(in+1)*w.K])
				want := ik.goDot(row, &a)
				for r := range n {
					require.InDeltaf(t, want, y[in*n+r], float64(nb)*1e-3, "%s code %#x input %d row %d", s, c, in, r)
				}
			}
		}
	}
}

// TestQuantizeQ8KernelMatchesGo: the assembly quantizer gives
// quantizeQ8Go's codes, scales and sums bit for bit on random blocks and
// on blocks with a NaN, an infinity, all zeros, a largest |x| so small
// that 127/max overflows, subnormals, values near the float32 limit and
// exact ties (x*127/max at k+0.5), on 0-9 blocks.
func TestQuantizeQ8KernelMatchesGo(t *testing.T) {
	if quantizeQ8Kernel == nil {
		t.Skip("no assembly quantizer on this CPU/build (it needs AVX-512; quantizeQ8Go runs)")
	}
	r := rand.New(rand.NewPCG(77, 78))
	special := []func(b []float32){
		func(b []float32) { b[3] = float32(math.NaN()) },
		func(b []float32) { b[31] = float32(math.Inf(1)) },
		func(b []float32) { b[0] = float32(math.Inf(-1)) },
		func(b []float32) { clear(b) },
		func(b []float32) {
			for i := range b {
				b[i] = float32(i-16) * 1e-39 // subnormal, 127/max overflows
			}
		},
		func(b []float32) {
			for i := range b {
				b[i] = float32(i-16) * 1e-36 // small but 127/max finite
			}
		},
		func(b []float32) { b[7] = 3e38; b[8] = -3.4e38 },
		func(b []float32) {
			for i := range b {
				b[i] = float32(i%5) + 0.5 // ties once scaled by 127/127
			}
			b[9] = 127
		},
		func(b []float32) { b[5] = float32(math.Copysign(0, -1)) },
	}
	for nb := range 10 {
		for trial := range 20 {
			x := randomX(r, 32*nb)
			if nb > 0 && trial < len(special) {
				special[trial](x[32*(trial%nb) : 32*(trial%nb)+32])
			}
			var want, got q8Row
			quantizeQ8Row(&got, x)
			want.d, want.sum, want.qs = make([]float32, nb), make([]int32, nb), make([]int8, 32*nb)
			quantizeQ8Go(&want, x)
			if nb == 0 {
				require.Empty(t, got.qs)
				continue
			}
			require.Equal(t, want.qs, got.qs, "nb=%d trial %d codes", nb, trial)
			require.Equal(t, want.sum, got.sum, "nb=%d trial %d sums", nb, trial)
			for b := range nb {
				require.Equal(t, math.Float32bits(want.d[b]), math.Float32bits(got.d[b]), "nb=%d trial %d block %d d %g, Go %g", nb, trial, b, got.d[b], want.d[b])
			}
		}
	}
}
