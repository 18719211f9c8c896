package quant

import "testing"

func BenchmarkKern4(b *testing.B) {
	w, _ := bigAffineWeight(4)
	k := 4096
	wpr := k / 8
	gpr := k / 64
	x := benchWeights(k)
	var out [4]float32
	b.SetBytes(int64(4 * 4 * wpr))
	for b.Loop() {
		rows4Dot4(&out, w.Codes[:4*wpr], wpr, x, w.Scales[:4*gpr], gpr, 64)
	}
}
func BenchmarkKern8(b *testing.B) {
	w, _ := bigAffineWeight(8)
	k := 4096
	wpr := k / 4
	gpr := k / 64
	x := benchWeights(k)
	var out [4]float32
	b.SetBytes(int64(4 * 4 * wpr))
	for b.Loop() {
		rows4Dot8(&out, w.Codes[:4*wpr], wpr, x, w.Scales[:4*gpr], gpr, 64)
	}
}
