package integration

import (
	"fmt"
	"math/rand/v2"

	"github.com/lbrx/lbrx/core"
)

// pagedCases are paged_attention and scatter_rows over a paged cache of
// 80 blocks of 16 positions (8 query heads over 2 key/value heads of
// 32): a row past one attention chunk with a window and a soft cap, a
// short row, a padding row; the reference gathers each row's positions
// through its block table and runs the float64 attention of one query.
func pagedCases(dt core.DType, tol float64) []parityCase {
	const nb, bs, hkv, d, m = 80, 16, 2, 32, 72
	pos := []int32{1100, 5, -1}
	b := len(pos)
	ap := core.AttentionParams{Scale: 0.3, Window: 1000, SoftCap: 2}
	tables := func(r *rand.Rand) []int32 {
		t := make([]int32, 0, b*m)
		for range b {
			for _, p := range r.Perm(nb)[:m] {
				t = append(t, int32(p))
			}
		}
		return t
	}
	ints := func(v []int32, shape ...int) (*core.Array, error) {
		a, err := core.FromSlice(v, shape...)
		if err != nil {
			return nil, err
		}
		return a.Array(), nil
	}
	return []parityCase{{
		name: fmt.Sprintf("paged_attention/%v/decode-batch", dt), opName: "paged_attention", tol: max(tol, 1e-4),
		inputs: func(r *rand.Rand) ([]*core.Array, error) {
			in, err := inputsOf(dt, []int{b, 8, d}, []int{nb, bs, hkv, d}, []int{nb, bs, hkv, d})(r)
			if err != nil {
				return nil, err
			}
			t, err := ints(tables(r), b, m)
			if err != nil {
				return nil, err
			}
			p, err := ints(pos, b)
			if err != nil {
				return nil, err
			}
			return append(in, t, p), nil
		},
		op: func(in []*core.Array) (*core.Array, error) {
			return core.PagedAttentionOp(in[0], in[1], in[2], in[3], in[4], ap)
		},
		ref: withHosts(func(h []host) ([]float64, error) {
			q, k, v, t := h[0], h[1], h[2], h[3]
			row := hkv * d
			var out []float64
			for i, p := range pos {
				if p < 0 {
					out = append(out, make([]float64, 8*d)...)
					continue
				}
				n := int(p) + 1
				seq := func(x host) host {
					s := host{v: make([]float64, 0, n*row), s: core.Shape{n, hkv, d}}
					for j := range n {
						blk := int(t.v[i*m+j/bs])
						at := (blk*bs + j%bs) * row
						s.v = append(s.v, x.v[at:at+row]...)
					}
					return s
				}
				qi := host{v: q.v[i*8*d : (i+1)*8*d], s: core.Shape{1, 8, d}}
				out = append(out, refAttentionWindow(qi, seq(k), seq(v), ap.Scale, ap.Window, ap.SoftCap)...)
			}
			return out, nil
		}),
	}, {
		name: fmt.Sprintf("scatter_rows/%v", dt), opName: "scatter_rows", tol: 0,
		inputs: func(r *rand.Rand) ([]*core.Array, error) {
			in, err := inputsOf(dt, []int{nb * bs, hkv, d}, []int{4, hkv, d})(r)
			if err != nil {
				return nil, err
			}
			idx, err := ints([]int32{nb*bs - 1, -1, 0, 700}, 4)
			if err != nil {
				return nil, err
			}
			return append(in, idx), nil
		},
		op: func(in []*core.Array) (*core.Array, error) {
			return in[0], core.ScatterRowsOp(in[0], in[1], in[2])
		},
		ref: withHosts(func(h []host) ([]float64, error) {
			out := append([]float64(nil), h[0].v...)
			row := hkv * d
			for b, i := range h[2].v {
				if i >= 0 {
					copy(out[int(i)*row:], h[1].v[b*row:(b+1)*row])
				}
			}
			return out, nil
		}),
	}}
}
