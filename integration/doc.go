// Package integration holds lbrx's end-to-end parity suite: for every
// available device, CPU tensor -> device -> op -> back -> compare with the
// CPU result. It has no library code of its own.
package integration
