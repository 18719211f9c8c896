package integration

import (
	"fmt"
	"math"

	"github.com/lbrx/lbrx/core"
)

// The float64 references the parity suite compares every device with,
// the CPU included: each op written out plainly from its definition
// (core/op.go's table and the per-op docs), sharing no code with any lbrx
// kernel. Inputs are read back as float64 after their rounding to the
// case's dtype, so a reference sees exactly the values the kernels see.

// host is an input array's values in row-major order and its shape.
type host struct {
	v []float64
	s core.Shape
}

// hosts reads arrays (on the CPU) as float64.
func hosts(in []*core.Array) ([]host, error) {
	out := make([]host, len(in))
	for i, a := range in {
		v, err := toF64(a)
		if err != nil {
			return nil, err
		}
		out[i] = host{v: v, s: a.Shape()}
	}
	return out, nil
}

// strides returns the row-major strides of s.
func strides(s core.Shape) []int {
	st := make([]int, len(s))
	n := 1
	for i := len(s) - 1; i >= 0; i-- {
		st[i] = n
		n *= s[i]
	}
	return st
}

// broadcastIndex maps the flat index i of shape out to the flat index of
// an operand of shape s broadcast to it (numpy rules, right-aligned).
func broadcastIndex(i int, out, s core.Shape) int {
	ost, sst := strides(out), strides(s)
	j := 0
	for d := range out {
		c := (i / ost[d]) % out[d]
		sd := d - (len(out) - len(s))
		if sd >= 0 && s[sd] != 1 {
			j += c * sst[sd]
		}
	}
	return j
}

func broadcastShape(a, b core.Shape) core.Shape {
	n := max(len(a), len(b))
	out := make(core.Shape, n)
	for i := range n {
		da, db := 1, 1
		if k := i - (n - len(a)); k >= 0 {
			da = a[k]
		}
		if k := i - (n - len(b)); k >= 0 {
			db = b[k]
		}
		out[i] = max(da, db)
	}
	return out
}

func refBinary(op string, a, b host) ([]float64, error) {
	out := broadcastShape(a.s, b.s)
	r := make([]float64, out.NumElements())
	for i := range r {
		x, y := a.v[broadcastIndex(i, out, a.s)], b.v[broadcastIndex(i, out, b.s)]
		switch op {
		case "add":
			r[i] = x + y
		case "sub":
			r[i] = x - y
		case "mul":
			r[i] = x * y
		case "div":
			r[i] = x / y
		case "maximum":
			r[i] = math.Max(x, y)
		case "minimum":
			r[i] = math.Min(x, y)
		default:
			return nil, fmt.Errorf("no reference for %s", op)
		}
	}
	return r, nil
}

func refUnary(op string, a host) ([]float64, error) {
	r := make([]float64, len(a.v))
	for i, x := range a.v {
		switch op {
		case "neg":
			r[i] = -x
		case "abs":
			r[i] = math.Abs(x)
		case "exp":
			r[i] = math.Exp(x)
		case "sin":
			r[i] = math.Sin(x)
		case "cos":
			r[i] = math.Cos(x)
		case "tanh":
			r[i] = math.Tanh(x)
		case "sigmoid":
			r[i] = 1 / (1 + math.Exp(-x))
		case "relu":
			r[i] = math.Max(x, 0)
		case "gelu":
			r[i] = 0.5 * x * (1 + math.Erf(x/math.Sqrt2))
		case "gelu_tanh":
			r[i] = 0.5 * x * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(x+0.044715*x*x*x)))
		case "silu":
			r[i] = x / (1 + math.Exp(-x))
		default:
			return nil, fmt.Errorf("no reference for %s", op)
		}
	}
	return r, nil
}

// refRows applies f to each row of the last axis.
func refRows(a host, f func(row []float64) []float64) []float64 {
	n := a.s[len(a.s)-1]
	var r []float64
	for off := 0; off < len(a.v); off += n {
		r = append(r, f(a.v[off:off+n])...)
	}
	return r
}

func refReduce(op string, a host) []float64 {
	return refRows(a, func(row []float64) []float64 {
		acc := row[0]
		switch op {
		case "sum", "mean":
			acc = 0
			for _, x := range row {
				acc += x
			}
			if op == "mean" {
				acc /= float64(len(row))
			}
		case "max":
			for _, x := range row {
				acc = math.Max(acc, x)
			}
		case "min":
			for _, x := range row {
				acc = math.Min(acc, x)
			}
		}
		return []float64{acc}
	})
}

func refSoftmax(a host, log bool) []float64 {
	return refRows(a, func(row []float64) []float64 {
		peak := math.Inf(-1)
		for _, x := range row {
			peak = math.Max(peak, x)
		}
		var total float64
		for _, x := range row {
			total += math.Exp(x - peak)
		}
		out := make([]float64, len(row))
		for i, x := range row {
			if log {
				out[i] = x - peak - math.Log(total)
			} else {
				out[i] = math.Exp(x-peak) / total
			}
		}
		return out
	})
}

func refRMSNorm(x, w host, eps float64) []float64 {
	return refRows(x, func(row []float64) []float64 {
		var ss float64
		for _, v := range row {
			ss += v * v
		}
		inv := 1 / math.Sqrt(ss/float64(len(row))+eps)
		out := make([]float64, len(row))
		for i, v := range row {
			out[i] = v * inv * w.v[i]
		}
		return out
	})
}

// refRoPE rotates x [T, H, D] in the rotate-half convention by the tables
// cos and sin [T, D/2].
func refRoPE(x, cos, sin host) []float64 {
	t, h, d := x.s[0], x.s[1], x.s[2]
	half := d / 2
	out := make([]float64, len(x.v))
	for p := range t {
		for hh := range h {
			base := (p*h + hh) * d
			for i := range half {
				c, s := cos.v[p*half+i], sin.v[p*half+i]
				x1, x2 := x.v[base+i], x.v[base+half+i]
				out[base+i] = x1*c - x2*s
				out[base+half+i] = x2*c + x1*s
			}
		}
	}
	return out
}

// refAttention is causal attention of q [Tq, Hq, D] over k, v [Tk, Hkv, D],
// the queries being the last Tq positions; query head h reads kv head
// h / (Hq/Hkv).
func refAttention(q, k, v host, scale float64) []float64 {
	return refAttentionWindow(q, k, v, scale, 0, 0)
}

// refAttentionWindow is refAttention where query i sees only the window
// keys ending at its position (all when window is 0) and each scaled
// score s becomes softCap*tanh(s/softCap) (none when softCap is 0).
func refAttentionWindow(q, k, v host, scale float64, window int, softCap float64) []float64 {
	tq, hq, d := q.s[0], q.s[1], q.s[2]
	tk, hkv := k.s[0], k.s[1]
	out := make([]float64, len(q.v))
	for i := range tq {
		last := i + tk - tq
		for h := range hq {
			g := h / (hq / hkv)
			scores := make([]float64, last+1)
			peak := math.Inf(-1)
			first := 0
			if window > 0 {
				first = max(0, last-window+1)
			}
			for j := range scores {
				if j < first {
					scores[j] = math.Inf(-1)
					continue
				}
				var dot float64
				for e := range d {
					dot += q.v[(i*hq+h)*d+e] * k.v[(j*hkv+g)*d+e]
				}
				scores[j] = scale * dot
				if softCap > 0 {
					scores[j] = softCap * math.Tanh(scores[j]/softCap)
				}
				peak = math.Max(peak, scores[j])
			}
			var total float64
			for j := range scores {
				scores[j] = math.Exp(scores[j] - peak)
				total += scores[j]
			}
			for e := range d {
				var acc float64
				for j, p := range scores {
					acc += p / total * v.v[(j*hkv+g)*d+e]
				}
				out[(i*hq+h)*d+e] = acc
			}
		}
	}
	return out
}

// refMatMul multiplies a [batch..., M, K] by b [batch..., K, N] (batch
// axes broadcast); at and bt read a and b transposed in their last two
// axes.
func refMatMul(a, b host, at, bt bool) (out []float64, shape core.Shape) {
	ra, rb := len(a.s), len(b.s)
	m, k := a.s[ra-2], a.s[ra-1]
	if at {
		m, k = k, m
	}
	n := b.s[rb-1]
	if bt {
		n = b.s[rb-2]
	}
	batch := broadcastShape(a.s[:ra-2], b.s[:rb-2])
	nb := batch.NumElements()
	out = make([]float64, nb*m*n)
	for bi := range nb {
		ao := broadcastIndex(bi, batch, a.s[:ra-2]) * a.s[ra-2] * a.s[ra-1]
		bo := broadcastIndex(bi, batch, b.s[:rb-2]) * b.s[rb-2] * b.s[rb-1]
		for i := range m {
			for j := range n {
				var acc float64
				for l := range k {
					x := a.v[ao+i*k+l]
					if at {
						x = a.v[ao+l*m+i]
					}
					y := b.v[bo+l*n+j]
					if bt {
						y = b.v[bo+j*k+l]
					}
					acc += x * y
				}
				out[bi*m*n+i*n+j] = acc
			}
		}
	}
	return out, append(batch, m, n)
}

// refPermute returns a's values with its axes permuted (out axis i is
// axis perm[i] of a).
func refPermute(a host, perm ...int) []float64 {
	os := make(core.Shape, len(perm))
	for i, p := range perm {
		os[i] = a.s[p]
	}
	ost, ast := strides(os), strides(a.s)
	out := make([]float64, len(a.v))
	for i := range out {
		j := 0
		for d, p := range perm {
			j += ((i / ost[d]) % os[d]) * ast[p]
		}
		out[i] = a.v[j]
	}
	return out
}

// refConcat joins the inputs along axis.
func refConcat(axis int, in ...host) []float64 {
	outer := 1
	for _, d := range in[0].s[:axis] {
		outer *= d
	}
	var out []float64
	for o := range outer {
		for _, h := range in {
			inner := 1
			for _, d := range h.s[axis:] {
				inner *= d
			}
			out = append(out, h.v[o*inner:(o+1)*inner]...)
		}
	}
	return out
}

// refGather takes rows idx of x [R, C].
func refGather(x host, idx []int) []float64 {
	c := x.s[1]
	var out []float64
	for _, i := range idx {
		out = append(out, x.v[i*c:(i+1)*c]...)
	}
	return out
}
