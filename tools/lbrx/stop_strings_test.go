package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestStopTextHoldsBackPossibleStops(t *testing.T) {
	s := stopText{stops: []string{"</end>", "STOP"}}
	var out []string
	push := func(in string) bool {
		o, stopped := s.push(in)
		out = append(out, o)
		return stopped
	}
	assert.False(t, push("Hello <"))
	assert.False(t, push("/e"))
	assert.False(t, push("x> ST"))
	assert.False(t, push("O"))
	assert.Equal(t, []string{"Hello ", "", "</ex> ", ""}, out)
	// "STO" was held back; with "P" it is a stop string: nothing more.
	assert.True(t, push("Ptail"))
	assert.Empty(t, out[len(out)-1])
	assert.Empty(t, s.flush())

	// The earliest of several stop strings wins; text before it is kept.
	s = stopText{stops: []string{"b", "ab"}}
	o, stopped := s.push("xxabyy")
	assert.True(t, stopped)
	assert.Equal(t, "xx", o)

	// No stop strings: everything passes at once; flush returns the held tail.
	s = stopText{}
	o, stopped = s.push("abc")
	assert.Equal(t, "abc", o)
	assert.False(t, stopped)
	s = stopText{stops: []string{"éz"}}
	o, _ = s.push("café")
	assert.Equal(t, "caf", o)
	assert.Equal(t, "é", s.flush())
}
