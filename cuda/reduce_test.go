package cuda

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/lbrx/lbrx/core"
)

// refReduce reduces the logical values v of shape over axes (output in the
// order of the kept axes), with f folding one group.
func refReduce(shape core.Shape, v []float64, axes []int, f func([]float64) float64) (core.Shape, []float64) {
	red := make([]bool, len(shape))
	for _, a := range axes {
		red[a] = true
	}
	var outShape core.Shape
	for i, d := range shape {
		if !red[i] {
			outShape = append(outShape, d)
		}
	}
	groups := make([][]float64, outShape.NumElements())
	idx := make([]int, len(shape))
	for i := range v {
		o := 0
		for d := range shape {
			if !red[d] {
				o = o*shape[d] + idx[d]
			}
		}
		groups[o] = append(groups[o], v[i])
		for d := len(shape) - 1; d >= 0; d-- {
			idx[d]++
			if idx[d] < shape[d] {
				break
			}
			idx[d] = 0
		}
	}
	out := make([]float64, len(groups))
	for i, g := range groups {
		out[i] = f(g)
	}
	return outShape, out
}

func sum(g []float64) float64 {
	s := 0.0
	for _, x := range g {
		s += x
	}
	return s
}

var reduceRef = map[string]func([]float64) float64{
	"sum":  sum,
	"mean": func(g []float64) float64 { return sum(g) / float64(len(g)) },
	"max":  slices.Max[[]float64],
	"min":  slices.Min[[]float64],
	"var": func(g []float64) float64 {
		m := sum(g) / float64(len(g))
		q := 0.0
		for _, x := range g {
			q += (x - m) * (x - m)
		}
		return q / float64(len(g))
	},
	"argmax": func(g []float64) float64 { return float64(slices.Index(g, slices.Max(g))) },
}

func TestReduceParity(t *testing.T) {
	dev := gpu(t)
	r := rand.New(rand.NewPCG(9, 10))
	cases := []struct {
		in   input
		axes []int
	}{
		{input{core.Shape{4, 7}, ident}, []int{1}},
		{input{core.Shape{4, 7}, ident}, []int{0}},
		{input{core.Shape{4, 7}, ident}, []int{0, 1}},
		{input{core.Shape{3, 4, 5}, ident}, []int{0, 2}},
		{input{core.Shape{5, 4, 3}, permute(2, 1, 0)}, []int{2}},
		{input{core.Shape{1, 1}, ident}, []int{1}},
		{input{core.Shape{2, 5000}, ident}, []int{1}},
		// One long row (a vocabulary): argmax takes 1024 threads.
		{input{core.Shape{1, 32003}, ident}, []int{1}},
		{input{core.Shape{0, 3}, ident}, []int{1}},
		{input{core.Shape{33, 40}, slice(1, 3, 40, 2)}, []int{1}},
	}
	for name, ref := range reduceRef {
		for _, dt := range floatTypes {
			for ci, c := range cases {
				// Small integers make ties (argmax picks the first) and
				// exact sums in every dtype.
				hv, dv, v := prepare(t, dev, dt, c.in, random(r, c.in.base.NumElements(), -8, 8, true))
				if name == "argmax" && len(c.axes) != 1 {
					continue // one axis only, as core defines it
				}
				_, want := refReduce(hv.Shape(), v, c.axes, ref)
				// Out has core's keepdims shape: reduced axes of size 1.
				outShape := hv.Shape()
				for _, a := range c.axes {
					outShape[a] = 1
				}
				outType := dt
				if name == "argmax" {
					outType = core.I64
				} else {
					want = round(dt, want)
				}
				got := runOn(t, dev, name, outType, outShape, c.axes, 0, dv)
				what := fmt.Sprintf("%s/%v/%d", name, dt, ci)
				near(t, outType, want, got, float64(len(v)), what)
				near(t, outType, cpuRef(t, name, []*core.Array{hv}, outType, outShape, c.axes, 0), got, float64(len(v)), what+" vs core CPU")
			}
		}
	}
}

func TestSoftmaxParity(t *testing.T) {
	dev := gpu(t)
	r := rand.New(rand.NewPCG(11, 12))
	cases := []input{
		{core.Shape{3, 1}, ident}, {core.Shape{4, 1000}, ident}, {core.Shape{2, 3, 17}, ident},
		{core.Shape{17, 6}, permute(1, 0)}, {core.Shape{1, 4097}, ident}, {core.Shape{0, 5}, ident},
	}
	for _, name := range []string{"softmax", "log_softmax"} {
		for _, dt := range floatTypes {
			for ci, c := range cases {
				hv, dv, v := prepare(t, dev, dt, c, random(r, c.base.NumElements(), -10, 10, false))
				shape := hv.Shape()
				cols := shape[len(shape)-1]
				want := make([]float64, len(v))
				for row := 0; row*cols < len(v); row++ {
					g := v[row*cols : (row+1)*cols]
					m := slices.Max(g)
					s := 0.0
					for _, x := range g {
						s += math.Exp(x - m)
					}
					for j, x := range g {
						if name == "softmax" {
							want[row*cols+j] = math.Exp(x-m) / s
						} else {
							want[row*cols+j] = x - m - math.Log(s)
						}
					}
				}
				want = round(dt, want)
				axes := []int{len(shape) - 1}
				got := runOn(t, dev, name, dt, shape, axes, 0, dv)
				what := fmt.Sprintf("%s/%v/%d", name, dt, ci)
				near(t, dt, want, got, 4, what)
				near(t, dt, cpuRef(t, name, []*core.Array{hv}, dt, shape, axes, 0), got, 4, what+" vs core CPU")
			}
		}
	}
}
