package main

import (
	"fmt"
	"math"

	"github.com/lbrx/lbrx/metal"
)

type reduceCase struct {
	rows, cols, stride, threads int
	nan                         bool
}

func reduceCases() []reduceCase {
	return []reduceCase{
		{1, 1, 1, 32, false}, {3, 7, 7, 64, false}, {2, 33, 40, 256, false}, {5, 256, 256, 256, false},
		{1, 1000, 1000, 96, false}, {2, 1025, 1025, 1024, false}, {4, 0, 0, 64, false}, {3, 50, 50, 128, true},
		{0, 5, 5, 64, false},
	}
}

func reduceRef(op string, x []float64) (float64, float64) {
	sum, abs := 0.0, 0.0
	m := map[string]float64{"max": math.Inf(-1), "min": math.Inf(1)}[op]
	for _, v := range x {
		if math.IsNaN(v) {
			return math.NaN(), 0
		}
		sum += v
		abs += math.Abs(v)
		switch op {
		case "max":
			m = math.Max(m, v)
		case "min":
			m = math.Min(m, v)
		}
	}
	switch op {
	case "sum":
		return sum, abs
	case "mean":
		return sum / float64(len(x)), abs / float64(len(x))
	}
	return m, math.Abs(m)
}

func (c *checkCtx) rowInputs(dt string, rc reduceCase) ([]float32, [][]float64) {
	x := roundTo(dt, randn(c.rng, max(rc.rows*rc.stride, 1), 3))
	if rc.nan {
		x[rc.stride+rc.cols/2] = float32(math.NaN())
	}
	rows := make([][]float64, rc.rows)
	for r := range rows {
		rows[r] = make([]float64, rc.cols)
		for j := range rc.cols {
			rows[r][j] = float64(x[r*rc.stride+j])
		}
	}
	return x, rows
}

func checkReduce(op, dt string) checkFunc {
	return func(c *checkCtx, name string) error {
		for _, rc := range reduceCases() {
			x, rows := c.rowInputs(dt, rc)
			want := make([]float64, rc.rows)
			mag := make([]float64, rc.rows)
			for r := range rows {
				want[r], mag[r] = reduceRef(op, rows[r])
				want[r] = float64(roundTo(dt, []float32{float32(want[r])})[0])
				mag[r] = max(mag[r], math.Abs(want[r]))
			}
			p := metal.ReduceParams{Rows: uint32(rc.rows), Cols: uint32(rc.cols), RowStride: uint32(rc.stride)}
			out, err := c.dispatch(name, metal.ReduceLaunch(rc.rows, rc.threads),
				[]buf{{0, encode(dt, x)}, {1, poison(dt, rc.rows)}, {2, p.Bytes()}})
			if err != nil {
				return fmt.Errorf("case %+v: %w", rc, err)
			}
			if out == nil {
				continue
			}
			if err := compare(decode(dt, out[1]), want, mag, tolFor(dt)); err != nil {
				return fmt.Errorf("case %+v: %w", rc, err)
			}
		}
		return nil
	}
}

func checkSoftmax(dt string) checkFunc {
	return func(c *checkCtx, name string) error {
		for _, rc := range reduceCases() {
			x, rows := c.rowInputs(dt, rc)
			want := make([]float64, 0, rc.rows*rc.cols)
			for _, row := range rows {
				m := math.Inf(-1)
				nan := false
				for _, v := range row {
					m = math.Max(m, v)
					nan = nan || math.IsNaN(v)
				}
				s := 0.0
				for _, v := range row {
					s += math.Exp(v - m)
				}
				for _, v := range row {
					w := math.Exp(v-m) / s
					if nan {
						w = math.NaN()
					}
					want = append(want, float64(roundTo(dt, []float32{float32(w)})[0]))
				}
			}
			p := metal.ReduceParams{Rows: uint32(rc.rows), Cols: uint32(rc.cols), RowStride: uint32(rc.stride)}
			out, err := c.dispatch(name, metal.ReduceLaunch(rc.rows, rc.threads),
				[]buf{{0, encode(dt, x)}, {1, poison(dt, rc.rows*rc.cols)}, {2, p.Bytes()}})
			if err != nil {
				return fmt.Errorf("case %+v: %w", rc, err)
			}
			if out == nil {
				continue
			}
			tol := tolFor(dt)
			tol.rel *= 4
			if err := compare(decode(dt, out[1]), want, nil, tol); err != nil {
				return fmt.Errorf("case %+v: %w", rc, err)
			}
		}
		return nil
	}
}
