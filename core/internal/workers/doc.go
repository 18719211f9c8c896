// Package workers runs a loop over [0, n) on persistent worker goroutines.
//
// A decode step of a language model calls about a hundred matrix-vector
// products of a few hundred microseconds each, with small serial ops in
// between. Starting goroutines for every product (and waking an idle
// OS thread for them) costs a wake-up per product and leaves the second
// core idle while it happens; here the helpers stay alive, spin for a
// short while after a job so that the next one starts at once, and only
// then park. Work is handed out in chunks from an atomic counter, so a
// core slowed by another process takes fewer chunks instead of holding
// the caller up, and each chunk is a contiguous range (each core streams
// its own rows of a weight).
package workers
