package llama

import (
	"math"

	"github.com/lbrx/lbrx/core"
)

// invFreq returns the rotary inverse frequencies for head size dim,
// computed in float32 step by step as transformers' rope_init_fn does, so
// that the angle tables match its float32 ones to the last bit where the
// math library allows.
func (r Rope) invFreq(dim int) []float32 {
	inv := make([]float32, dim/2)
	for i := range inv {
		e := float32(2*i) / float32(dim)
		inv[i] = 1 / float32(math.Pow(r.Theta, float64(e)))
	}
	switch r.Type {
	case "linear":
		f := float32(r.Factor)
		for i := range inv {
			inv[i] /= f
		}
	case "llama3":
		r.llama3(inv)
	}
	if len(r.FreqFactors) == len(inv) {
		for i, f := range r.FreqFactors {
			inv[i] /= f
		}
	}
	return inv
}

// llama3 applies Llama 3.1's frequency-dependent scaling: wavelengths
// longer than the original context divided by Factor, shorter than
// original/HighFreqFactor kept, and a smooth blend between.
func (r Rope) llama3(inv []float32) {
	factor := float32(r.Factor)
	old := float32(r.OriginalMaxPositions)
	lo, hi := float32(r.LowFreqFactor), float32(r.HighFreqFactor)
	loWave, hiWave := old/lo, old/hi
	for i, f := range inv {
		wave := float32(2*math.Pi) / f
		v := f
		if wave > loWave {
			v = f / factor
		}
		if wave >= hiWave && wave <= loWave {
			s := (old/wave - lo) / (hi - lo)
			v = (1-s)*v/factor + s*v
		}
		inv[i] = v
	}
}

// tables returns the cos and sin tables [n, len(inv)] for positions
// [start, start+n) on dev.
func tables(inv []float32, start, n int, dev core.Device) (cos, sin *core.Array, err error) {
	h := len(inv)
	cv, sv := angles(inv, start, n)
	return upload(cv, sv, n, h, dev)
}

// upload moves cos and sin values [n, h] to dev as two arrays.
func upload(cv, sv []float32, n, h int, dev core.Device) (cos, sin *core.Array, err error) {
	ct, err := core.FromSlice(cv, n, h)
	if err != nil {
		return nil, nil, err
	}
	st, err := core.FromSlice(sv, n, h)
	if err != nil {
		return nil, nil, err
	}
	if cos, err = ct.Array().To(dev); err != nil {
		return nil, nil, err
	}
	if sin, err = st.Array().To(dev); err != nil {
		return nil, nil, err
	}
	return cos, sin, nil
}

// angles returns the cos and sin values [n, len(inv)] for positions
// [start, start+n).
func angles(inv []float32, start, n int) (cv, sv []float32) {
	h := len(inv)
	cv, sv = make([]float32, n*h), make([]float32, n*h)
	for t := range n {
		p := float32(start + t)
		for j, f := range inv {
			a := float64(p * f) // transformers rounds the angle to float32
			cv[t*h+j] = float32(math.Cos(a))
			sv[t*h+j] = float32(math.Sin(a))
		}
	}
	return cv, sv
}

// fromGGMLOrder reorders each head of y [T, heads, d] from ggml's rope
// order (element 2i+j holds Hugging Face element j*d/2+i) back to Hugging
// Face's, with one strided copy on y's device. A row permutation of W
// permutes the outputs of x W^T the same way, so this is exact.
func fromGGMLOrder(y *core.Array) (*core.Array, error) {
	s := y.Shape()
	v, err := y.Reshape(s[0], s[1], s[2]/2, 2)
	if err != nil {
		return nil, err
	}
	if v, err = v.Permute(0, 1, 3, 2); err != nil {
		return nil, err
	}
	if v, err = v.Contiguous(); err != nil {
		return nil, err
	}
	return v.Reshape(s...)
}
