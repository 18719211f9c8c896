//go:build (amd64 || arm64) && !noasm

package quant

// asmIntDot wraps an integer kernel over blocks of bb bytes whose packed
// input takes packBytes(nb) bytes; the slices are checked here so the
// assembly never reads past them.
func asmIntDot(f func(rows *byte, stride, n int, act *byte, nb int, y *float32), bb int, packBytes func(int) int) intDot {
	return func(rows []byte, nb int, act []byte, y []float32) {
		if len(y) == 0 {
			return
		}
		if nb == 0 {
			clear(y)
			return
		}
		_ = rows[len(y)*nb*bb-1]
		_ = act[packBytes(nb)-1]
		f(&rows[0], nb*bb, len(y), &act[0], nb, &y[0])
	}
}
