package integration

import "github.com/lbrx/lbrx/core"

// quantModelDelta is how far a 4-bit (affine, groups of 64) model's
// logits on dev may stray from the same model's logits on the CPU, for a
// forward pass over rows prompt positions, given the CPU's 4-bit logits
// and the float32 reference.
//
// Where both sides multiply in float it is 1e-3. Where dev quantizes the
// activations of these products to 8-bit blocks (actQuantSlack's rule:
// CUDA's integer kernels for up to 32 rows times 4-bit affine codes, as
// llama.cpp's integer kernels do) and the CPU does not, the two differ by
// that rounding, carried through every layer: no closed bound exists for
// a whole model, so the rule is relative to the error the 4-bit weights
// already make — at most a quarter of the CPU's own max |4-bit - float32|.
// A kernel that computes wrong values is far outside that; the rounding
// of x (half a step in 254 of each block's max) is well inside.
func quantModelDelta(dev core.Device, rows int, cpu4, f32 []float32) float64 {
	if dev.Kind() != "cuda" || actQuantSlack("affine4-g64", rows) == nil {
		return 1e-3
	}
	return max(1e-3, maxDiff(cpu4, f32)/4)
}
