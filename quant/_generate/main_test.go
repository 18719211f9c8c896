package main

import "testing"

// TestCommittedFiles fails when a committed .s file in package quant is
// not what its generator writes.
func TestCommittedFiles(t *testing.T) {
	if err := run("..", true); err != nil {
		t.Fatal(err)
	}
}
