package main

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/metal"
)

type reduceCase struct {
	rows, cols, stride, threads int
	nan                         bool
}

// reduceCases are fixed edge cases plus two random ones drawn from r.
func reduceCases(r *rand.Rand) []reduceCase {
	random := make([]reduceCase, 2)
	for i := range random {
		cols := r.IntN(600)
		random[i] = reduceCase{rows: 1 + r.IntN(4), cols: cols, stride: cols + r.IntN(3), threads: 32 * (1 + r.IntN(32))}
	}
	return append([]reduceCase{
		{1, 1, 1, 32, false}, {3, 7, 7, 64, false}, {2, 33, 40, 256, false}, {5, 256, 256, 256, false},
		{1, 1000, 1000, 96, false}, {2, 1025, 1025, 1024, false}, {4, 0, 0, 64, false}, {3, 50, 50, 128, true},
		{0, 5, 5, 64, false},
	}, random...)
}

// reduceMagnitude is the scale of a row reduction's rounding error.
func reduceMagnitude(op string, x []float64) float64 {
	abs := 0.0
	for _, v := range x {
		abs += math.Abs(v)
	}
	if op == "mean" && len(x) > 0 {
		abs /= float64(len(x))
	}
	return abs
}

// rowsArray is the [rows, cols] logical input as a contiguous core array.
func rowsArray(dt string, rows [][]float64, cols int) (*core.Array, error) {
	v := make([]float32, 0, len(rows)*cols)
	for _, r := range rows {
		for _, x := range r {
			v = append(v, float32(x))
		}
	}
	return hostArray(dt, []int{len(rows), cols}, v)
}

// reduceReference is core's reduction over the last axis. Core refuses
// max/min of an empty axis; the kernels write the identities (-inf/+inf)
// there, and the backend must refuse before dispatching as core does.
func reduceReference(op, dt string, rows [][]float64, cols int) ([]float64, error) {
	if cols == 0 && (op == "max" || op == "min") {
		id := math.Inf(-1)
		if op == "min" {
			id = math.Inf(1)
		}
		want := make([]float64, len(rows))
		for i := range want {
			want[i] = id
		}
		return want, nil
	}
	x, err := rowsArray(dt, rows, cols)
	if err != nil {
		return nil, err
	}
	r, err := core.ReduceOp(op, x, []int{1}, false)
	if err != nil {
		return nil, err
	}
	return arrayValues(dt, r)
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
		for _, rc := range reduceCases(c.rng) {
			x, rows := c.rowInputs(dt, rc)
			want, err := reduceReference(op, dt, rows, rc.cols)
			if err != nil {
				return fmt.Errorf("case %+v: core reference: %w", rc, err)
			}
			mag := make([]float64, rc.rows)
			for r := range rows {
				mag[r] = max(reduceMagnitude(op, rows[r]), math.Abs(want[r]))
			}
			p := metal.ReduceParams{Rows: uint32(rc.rows), Cols: uint32(rc.cols), RowStride: uint32(rc.stride)}
			out, err := c.dispatch(name, metal.ReduceLaunch(rc.rows, rc.threads),
				[]buf{{0, encode(dt, x)}, {1, poison(dt, rc.rows)}, {2, p.Bytes()}}, 1)
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

// checkSoftmax checks softmax_* or log_softmax_* (op) against core.
func checkSoftmax(op, dt string) checkFunc {
	return func(c *checkCtx, name string) error {
		for _, rc := range reduceCases(c.rng) {
			x, rows := c.rowInputs(dt, rc)
			xa, err := rowsArray(dt, rows, rc.cols)
			if err != nil {
				return err
			}
			ra, err := core.SoftmaxOp(op, xa, 1)
			if err != nil {
				return fmt.Errorf("case %+v: core reference: %w", rc, err)
			}
			want, err := arrayValues(dt, ra)
			if err != nil {
				return err
			}
			p := metal.ReduceParams{Rows: uint32(rc.rows), Cols: uint32(rc.cols), RowStride: uint32(rc.stride)}
			out, err := c.dispatch(name, metal.ReduceLaunch(rc.rows, rc.threads),
				[]buf{{0, encode(dt, x)}, {1, poison(dt, rc.rows*rc.cols)}, {2, p.Bytes()}}, 1)
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
