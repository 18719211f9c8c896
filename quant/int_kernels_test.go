package quant

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
)

// intSchemes are the schemes with a portable integer dot (the spec of
// the assembly kernels).
var intSchemes = []struct {
	s     core.Scheme
	goDot func([]byte, *q8Row) float32
}{
	{core.SchemeQ4_0, dotQ40Q8},
	{core.SchemeQ8_0, dotQ80Q8},
	{core.SchemeQ6_K, dotQ6KQ8},
}

// intTermsTol bounds the difference between two summation orders of the
// per-block terms d_w*d_x*Σq_w*q_x (each formed identically): (nb + 8)
// units of rounding of Σ|term|.
func intTermsTol(t *testing.T, s core.Scheme, row []byte, a *q8Row) float64 {
	t.Helper()
	w := make([]float32, len(row)/BlockBytes(s)*BlockValues(s))
	require.NoError(t, DecodeBlocks(s, w, row))
	// The integer sums carry the offsets (Q4_0's -8d, Q6_K's -32*d*sc)
	// besides w.
	off := blockOffsets(t, s, row)
	var mag float64
	for i := range w {
		mag += (math.Abs(float64(w[i])) + 2*off[i]) * math.Abs(float64(a.d[i/32])*float64(a.qs[i]))
	}
	return float64(len(a.d)+8)*0x1p-24*mag + 1e-30
}

// TestQuantizeQ8Row: each value within half a step of d*q, codes in
// [-127, 127] with the block's largest |x| at ±127, sums of the codes,
// zero blocks zero, and a NaN or infinity making the block's d NaN.
func TestQuantizeQ8Row(t *testing.T) {
	r := rand.New(rand.NewPCG(61, 62))
	x := randomX(r, 32*6)
	for j := range 32 {
		x[32+j] = 0
	}
	x[64+5] = float32(math.NaN())
	x[96+7] = float32(math.Inf(-1))
	x[128+3] = 1e30 // a huge outlier: the rest of the block rounds to 0
	x[160] = -1e-30
	var a q8Row
	quantizeQ8Row(&a, x)
	require.Len(t, a.d, 6)
	for b := range 6 {
		var s int32
		var amax float64
		for j := range 32 {
			s += int32(a.qs[32*b+j])
			amax = math.Max(amax, math.Abs(float64(x[32*b+j])))
		}
		switch b {
		case 1:
			require.Zero(t, a.d[b])
			require.Zero(t, s)
			continue
		case 2, 3:
			require.True(t, math.IsNaN(float64(a.d[b])), "block %d d = %g", b, a.d[b])
			continue
		}
		require.Equal(t, s, a.sum[b], "block %d sum", b)
		d := float64(a.d[b])
		require.InDelta(t, amax/127, d, amax/127*1e-6)
		hit := false
		for j := range 32 {
			q := a.qs[32*b+j]
			require.NotEqual(t, int8(-128), q, "block %d value %d: code -128 (the range is ±127)", b, j)
			hit = hit || q == 127 || q == -127
			require.LessOrEqualf(t, math.Abs(float64(x[32*b+j])-d*float64(q)), d*(0.5+1e-5), "block %d value %d", b, j)
		}
		require.True(t, hit, "block %d: no code at ±127", b)
	}
}

// TestIntKernelsMatchGoReference holds every assembly integer kernel to
// the portable one on 0-9, 12, 17 and 64 blocks (the Q4_0 kernel's
// groups of 4 and 8 with 1-3 left, Q8_0's pairs with one left), random
// codes and scales, zero and NaN blocks of x; and the portable one to
// the float product of the dequantized row within the activations'
// quantization error (Σ|w|*d_x/2 per block).
func TestIntKernelsMatchGoReference(t *testing.T) {
	r := rand.New(rand.NewPCG(63, 64))
	for _, is := range intSchemes {
		ik := intKernels[is.s]
		for _, nb := range []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 17, 64} {
			t.Run(fmt.Sprintf("%s/%d", is.s, nb), func(t *testing.T) {
				bv := BlockValues(is.s)
				row := randomBlocks(r, is.s, nb)
				x := randomX(r, bv*nb)
				if nb > 2 {
					for j := range 32 {
						x[32+j] = 0
					}
				}
				var a q8Row
				quantizeQ8Row(&a, x)
				want := is.goDot(row, &a)
				w := make([]float32, bv*nb)
				require.NoError(t, DecodeBlocks(is.s, w, row))
				var ref, qerr float64
				for i := range w {
					ref += float64(w[i]) * float64(x[i])
					qerr += math.Abs(float64(w[i])) * float64(a.d[i/32]) / 2
				}
				tol := intTermsTol(t, is.s, row, &a)
				require.LessOrEqualf(t, math.Abs(float64(want)-ref), qerr+tol, "Go %g, float product %g", want, ref)
				if ik == nil {
					return
				}
				act := ik.pack(nil, &a)
				for _, v := range ik.variants {
					got := intDot1(v.dot, row, nb, act)
					require.LessOrEqualf(t, math.Abs(float64(got-want)), tol, "%s %g, Go %g", v.name, got, want)
					if nb == 0 {
						require.Zero(t, got)
					}
				}
				if nb > 4 { // a NaN in x makes the product NaN
					x[bv*4+3] = float32(math.NaN())
					quantizeQ8Row(&a, x)
					act = ik.pack(act, &a)
					for _, v := range ik.variants {
						require.True(t, math.IsNaN(float64(intDot1(v.dot, row, nb, act))), v.name)
					}
				}
			})
		}
	}
}

// TestIntKernelsExtremeCodes: Q8_0 codes -128 and 127 and Q4_0 codes 0
// and 15 against codes ±127 (the integer sums' extremes, where
// VPMADDUBSW would saturate if the kernels' bounds were wrong).
func TestIntKernelsExtremeCodes(t *testing.T) {
	for _, is := range intSchemes {
		ik := intKernels[is.s]
		if ik == nil {
			t.Logf("no integer assembly kernel for %s on this CPU/build", is.s)
			continue
		}
		nb := 9
		bb := BlockBytes(is.s)
		for _, c := range []byte{0x00, 0x80, 0x7f, 0xff, 0xf0, 0x0f} {
			row := make([]byte, nb*bb)
			for b := range nb {
				for j := range bb {
					row[b*bb+j] = c
				}
				for _, off := range f16Fields[is.s] {
					copy(row[b*bb+off:], []byte{0x00, 0x3c}) // d = 1
				}
			}
			for _, xv := range []float32{1, -1} {
				x := make([]float32, BlockValues(is.s)*nb)
				for i := range x {
					x[i] = xv
					if i%3 == 0 {
						x[i] = -xv
					}
				}
				var a q8Row
				quantizeQ8Row(&a, x)
				want := is.goDot(row, &a)
				act := ik.pack(nil, &a)
				for _, v := range ik.variants {
					require.InDeltaf(t, want, intDot1(v.dot, row, nb, act), float64(nb)*1e-3, "%s %s code %#x x %g", is.s, v.name, c, xv)
				}
			}
		}
	}
}

func TestIntKernelVariantsListed(t *testing.T) {
	for _, is := range intSchemes {
		if ik := intKernels[is.s]; ik != nil {
			for _, v := range ik.variants {
				t.Logf("%s: %s", is.s, v.name)
			}
		}
	}
}

// actQuantErr is what quantizing the input row x to 8 bits may add to
// its product with the weight row w (dequantized) when MatMul runs the
// integer kernels for scheme s at batch m: Σ|w_j|*d_x/2 over each
// block's d_x (0 where the float kernels run).
func actQuantErr(s core.Scheme, m int, w, x []float32) float64 {
	rk, ik := rowKernels[s], intKernels[s]
	if ik == nil || rk == nil || (m >= rk.panelFrom() && ik.dot4 == nil) {
		return 0
	}
	var a q8Row
	quantizeQ8Row(&a, x)
	var e float64
	for j := range a.d {
		for _, v := range w[32*j : 32*j+32] {
			e += math.Abs(float64(v)) * float64(a.d[j]) / 2
		}
	}
	return e * (1 + 1e-3)
}

func intDot1(f intDot, row []byte, nb int, act []byte) float32 {
	y := []float32{42}
	f(row, nb, act, y)
	return y[0]
}

// TestIntKernelsRows runs the kernels over several rows at once (the
// row loop, strides and output pointer; the two- and four-stream forms
// with the rows left over) on 0-5, 8, 9 and 13 rows of 1, 5 and 64
// blocks, each row checked against the portable dot.
func TestIntKernelsRows(t *testing.T) {
	r := rand.New(rand.NewPCG(65, 66))
	for _, is := range intSchemes {
		ik := intKernels[is.s]
		if ik == nil {
			t.Logf("no integer assembly kernel for %s on this CPU/build", is.s)
			continue
		}
		bb := BlockBytes(is.s)
		for _, nb := range []int{1, 5, 64} {
			for _, n := range []int{0, 1, 2, 3, 4, 5, 8, 9, 13} {
				rows := randomBlocks(r, is.s, n*nb)
				var a q8Row
				quantizeQ8Row(&a, randomX(r, BlockValues(is.s)*nb))
				act := ik.pack(nil, &a)
				for _, v := range ik.variants {
					y := make([]float32, n+1)
					y[n] = 42
					v.dot(rows, nb, act, y[:n])
					require.Equal(t, float32(42), y[n], "%s %s wrote past y", is.s, v.name)
					for i := range n {
						row := rows[i*nb*bb : (i+1)*nb*bb]
						want := is.goDot(row, &a)
						require.LessOrEqualf(t, math.Abs(float64(y[i]-want)), intTermsTol(t, is.s, row, &a), "%s %s nb=%d row %d of %d", is.s, v.name, nb, i, n)
					}
				}
			}
		}
	}
}

// TestIntKernels4 holds the four-input kernels to the portable dot on
// 0-5 weight rows of 1-9 and 64 blocks, inputs and outputs at strides
// larger than a row (as MatMul passes them), nothing written past them.
func TestIntKernels4(t *testing.T) {
	r := rand.New(rand.NewPCG(67, 68))
	for _, is := range intSchemes {
		ik := intKernels[is.s]
		if ik == nil || ik.dot4 == nil {
			t.Logf("no four-input integer kernel for %s on this CPU/build", is.s)
			continue
		}
		bb := BlockBytes(is.s)
		for _, nb := range []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 64} {
			for n := range 6 {
				rows := randomBlocks(r, is.s, n*nb)
				var a [4]q8Row
				stride := 0
				var packed [4][]byte
				for i := range 4 {
					quantizeQ8Row(&a[i], randomX(r, BlockValues(is.s)*nb))
					packed[i] = ik.pack(nil, &a[i])
					stride = len(packed[i]) + 64
				}
				act := make([]byte, 4*stride)
				for i := range 4 {
					copy(act[i*stride:], packed[i])
				}
				yStride := n + 3
				y := make([]float32, 4*yStride)
				for i := range y {
					y[i] = 42
				}
				ik.dot4(rows, n, nb, act, stride, y, yStride)
				for in := range 4 {
					for i := range n {
						row := rows[i*nb*bb : (i+1)*nb*bb]
						want := is.goDot(row, &a[in])
						require.LessOrEqualf(t, math.Abs(float64(y[in*yStride+i]-want)), intTermsTol(t, is.s, row, &a[in]), "%s nb=%d input %d row %d of %d", is.s, nb, in, i, n)
					}
					for i := n; i < yStride; i++ {
						require.Equal(t, float32(42), y[in*yStride+i], "%s wrote past row %d", is.s, n)
					}
				}
			}
		}
	}
}

// TestPackReusesDirtyBuffers: packing into a buffer full of other bytes
// gives the same layout as into a fresh one (the padding and the unused
// lanes of the initial sums are written, not assumed zero).
func TestPackReusesDirtyBuffers(t *testing.T) {
	r := rand.New(rand.NewPCG(69, 70))
	for _, l := range []*actLayout{layoutQ40, layoutQ80, layoutNEON, layoutQ6K} {
		for _, nb := range []int{1, 2, 3, 5, 8} {
			bv := 32
			if l == layoutQ6K {
				bv = 256
			}
			var a q8Row
			quantizeQ8Row(&a, randomX(r, bv*nb))
			fresh := l.pack(nil, &a)
			require.Len(t, fresh, l.packBytes(nb))
			dirty := make([]byte, len(fresh)+7)
			for i := range dirty {
				dirty[i] = 0xa5
			}
			require.Equal(t, fresh, l.pack(dirty[:0], &a), "%s nb=%d", l.name, nb)
		}
	}
}

// QuantizeActivation, the rule the GPU kernels are held to, gives the
// scales and codes of quantizeQ8Row (the assembly quantizer where there is
// one), bit for bit, on normal, zero, tiny, huge and NaN blocks.
func TestQuantizeActivationIsTheRowRule(t *testing.T) {
	r := rand.New(rand.NewPCG(65, 66))
	x := randomX(r, 32*7)
	for j := range 32 {
		x[32+j] = 0
		x[64+j] = 1e-39
	}
	x[96+2] = float32(math.NaN())
	x[128+9] = 1e30
	x[160+31] = -1
	d, q := QuantizeActivation(x)
	var a q8Row
	quantizeQ8Row(&a, x)
	require.Len(t, d, 7)
	for b := range d {
		require.Equal(t, math.Float32bits(a.d[b]), math.Float32bits(d[b]), "block %d scale", b)
	}
	require.Equal(t, a.qs, q)
}
