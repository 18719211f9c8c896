package quant

import "testing"

// The four-row kernels on codes that stay in L1 (4 rows of K=4096): their
// arithmetic throughput, the ceiling for the 16384x16384 products above.
// GB/s counts codes plus float32 scales and biases.
func benchRows4(b *testing.B, bits int) {
	kern := rows4Dot4
	if bits == 8 {
		kern = rows4Dot8
	}
	if kern == nil {
		b.Skip("no four-row kernel on this CPU/build (needs amd64 AVX-512 without noasm)")
	}
	const k, g = 4096, 64
	w, _ := bigAffineWeight(bits)
	wpr, gpr := k*bits/32, k/g
	x := benchWeights(k)
	xs := groupSums(x, 1, k, g)
	xp := make([]float32, k)
	permute4x128(xp, x)
	if bits == 8 {
		permute8x64(xp, x)
	}
	var out [4]float32
	b.SetBytes(int64(4 * (4*wpr + 2*4*gpr)))
	for b.Loop() {
		kern(&out, w.Codes[:4*wpr], wpr, xp, w.Scales[:4*gpr], w.Biases[:4*gpr], gpr, xs, g)
	}
}

func BenchmarkRows4Dot4(b *testing.B) { benchRows4(b, 4) }

func BenchmarkRows4Dot8(b *testing.B) { benchRows4(b, 8) }
