package core

import "context"

// Communicator is one rank's handle on a group of ranks that each run the
// same program on their own device (SPMD, as NCCL and MPI work) and
// exchange arrays through collectives. Every rank must call the same
// collectives in the same order with arrays of the same dtype and shape;
// a rank that skips one leaves the others waiting until their contexts
// end. Results are on the rank's device. Implementations: LocalGroup (any
// devices of one process, through the host) and the cuda module's NCCL
// communicator.
type Communicator interface {
	// Rank is this handle's index in [0, Size).
	Rank() int
	// Size is the number of ranks.
	Size() int
	// Device is where this rank's arrays live.
	Device() Device
	// AllReduceSum returns the elementwise sum of every rank's x, the
	// same on every rank.
	AllReduceSum(ctx context.Context, x *Array) (*Array, error)
	// AllGather returns every rank's x concatenated along axis in rank
	// order.
	AllGather(ctx context.Context, x *Array, axis int) (*Array, error)
	// Broadcast returns root's x on every rank; the other ranks' x gives
	// the shape and dtype expected.
	Broadcast(ctx context.Context, x *Array, root int) (*Array, error)
	// Close releases the rank's resources; the handle must not be used
	// afterwards.
	Close() error
}
