package core

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Shape is the list of dimension sizes of a tensor, outermost first (numpy
// order). A nil or empty Shape is a scalar with one element.
type Shape []int

// NumElements returns the product of the dimensions (1 for a scalar).
func (s Shape) NumElements() int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

// Rank returns the number of dimensions.
func (s Shape) Rank() int { return len(s) }

// Clone returns a copy that does not share memory with s.
func (s Shape) Clone() Shape { return append(Shape(nil), s...) }

// Equal reports whether s and o have the same dimensions.
func (s Shape) Equal(o Shape) bool {
	if len(s) != len(o) {
		return false
	}
	for i := range s {
		if s[i] != o[i] {
			return false
		}
	}
	return true
}

// String formats the shape as [2 3 4].
func (s Shape) String() string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = strconv.Itoa(d)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// Validate checks that every dimension is non-negative and that the element
// count fits in an int without overflow.
func (s Shape) Validate() error {
	n := 1
	for i, d := range s {
		if d < 0 {
			return fmt.Errorf("shape %v: dimension %d is negative", s, i)
		}
		if d != 0 && n > math.MaxInt/d {
			return fmt.Errorf("shape %v: element count overflows int", s)
		}
		n *= d
	}
	return nil
}

// Strides returns the row-major (C order) strides of s, in elements.
func (s Shape) Strides() []int {
	st := make([]int, len(s))
	acc := 1
	for i := len(s) - 1; i >= 0; i-- {
		st[i] = acc
		acc *= s[i]
	}
	return st
}

// Axis normalises a possibly negative axis (-1 is the last) against rank and
// reports an error naming both when it is out of range.
func Axis(axis, rank int) (int, error) {
	a := axis
	if a < 0 {
		a += rank
	}
	if a < 0 || a >= rank {
		return 0, fmt.Errorf("axis %d is out of range for rank %d", axis, rank)
	}
	return a, nil
}

// BroadcastShapes returns the shape that a and b broadcast to under numpy's
// rules: align trailing dimensions; each pair must be equal or contain a 1.
func BroadcastShapes(a, b Shape) (Shape, error) {
	n := max(len(a), len(b))
	out := make(Shape, n)
	for i := range n {
		da, db := 1, 1
		if j := len(a) - n + i; j >= 0 {
			da = a[j]
		}
		if j := len(b) - n + i; j >= 0 {
			db = b[j]
		}
		switch {
		case da == db:
			out[i] = da
		case da == 1:
			out[i] = db
		case db == 1:
			out[i] = da
		default:
			return nil, fmt.Errorf("shapes %v and %v do not broadcast: dimension %d is %d vs %d", a, b, i-n, da, db)
		}
	}
	return out, nil
}

// broadcastStrides returns strides that view a tensor of shape from/strides
// as shape to, using stride 0 for broadcast dimensions.
func broadcastStrides(from Shape, strides []int, to Shape) ([]int, error) {
	if len(from) > len(to) {
		return nil, fmt.Errorf("cannot broadcast shape %v to %v: more dimensions", from, to)
	}
	out := make([]int, len(to))
	off := len(to) - len(from)
	for i := range to {
		if i < off {
			continue
		}
		d := from[i-off]
		switch d {
		case to[i]:
			out[i] = strides[i-off]
		case 1:
			out[i] = 0
		default:
			return nil, fmt.Errorf("cannot broadcast shape %v to %v: dimension %d is %d vs %d", from, to, i, d, to[i])
		}
	}
	return out, nil
}
