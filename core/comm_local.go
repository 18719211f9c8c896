package core

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// LocalGroup is a group of ranks in one process, one per device, whose
// collectives meet in shared memory: each rank's goroutine hands over its
// array, and every rank computes the result from all of them on its own
// device (arrays on other devices are moved there, through the host). It
// works for any devices, the CPU's included, which makes it the reference
// against which a device communicator (NCCL) is checked, and the way to
// run tensor parallelism on CPU ranks. Sums run in rank order on every
// rank, so all ranks get bit-identical results. A rank whose context ends
// in a collective breaks the group: the ranks' sequences of collectives
// no longer line up, so every later one fails too.
type LocalGroup struct {
	devs []Device

	mu     sync.Mutex
	rounds map[uint64]*round
	broken error
}

// round is one collective: the arrays the ranks handed over, and done,
// closed once all arrived (or the group broke).
type round struct {
	kind    string
	slots   []*Array
	arrived int
	left    int // ranks that have not yet read the slots
	done    chan struct{}
	err     error
}

// NewLocalGroup returns a group with one rank per device, in order; a
// device may appear more than once (several CPU ranks).
func NewLocalGroup(devs ...Device) (*LocalGroup, error) {
	if len(devs) == 0 {
		return nil, errors.New("local group: no devices")
	}
	for i, d := range devs {
		if d == nil {
			return nil, fmt.Errorf("local group: device %d is nil", i)
		}
	}
	return &LocalGroup{devs: append([]Device(nil), devs...), rounds: map[uint64]*round{}}, nil
}

// Size returns the number of ranks.
func (g *LocalGroup) Size() int { return len(g.devs) }

// Rank returns rank i's communicator. Each rank's communicator is used by
// one goroutine at a time; the ranks run concurrently.
func (g *LocalGroup) Rank(i int) (Communicator, error) {
	if i < 0 || i >= len(g.devs) {
		return nil, fmt.Errorf("local group: rank %d outside [0, %d)", i, len(g.devs))
	}
	return &localRank{g: g, rank: i}, nil
}

// exchange hands x over as rank's contribution to its seq-th collective
// and returns every rank's contribution once all arrived.
func (g *LocalGroup) exchange(ctx context.Context, rank int, seq uint64, kind string, x *Array) ([]*Array, error) {
	if x == nil {
		return nil, fmt.Errorf("%s: rank %d: nil array", kind, rank)
	}
	if err := ctx.Err(); err != nil {
		g.breakGroup(fmt.Errorf("local group: rank %d did not join collective %d (%s): %w", rank, seq, kind, err))
		return nil, err
	}
	g.mu.Lock()
	if g.broken != nil {
		g.mu.Unlock()
		return nil, g.broken
	}
	r := g.rounds[seq]
	if r == nil {
		r = &round{kind: kind, slots: make([]*Array, len(g.devs)), left: len(g.devs), done: make(chan struct{})}
		g.rounds[seq] = r
	}
	if r.kind != kind && r.err == nil {
		r.err = fmt.Errorf("collective %d: rank %d called %s, another rank %s", seq, rank, kind, r.kind)
	}
	r.slots[rank] = x
	r.arrived++
	if r.arrived == len(g.devs) {
		close(r.done)
	}
	g.mu.Unlock()

	select {
	case <-r.done:
	case <-ctx.Done():
		g.breakGroup(fmt.Errorf("local group: rank %d left collective %d (%s): %w", rank, seq, kind, ctx.Err()))
		return nil, ctx.Err()
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	slots, err := r.slots, r.err
	if err == nil {
		err = g.broken
	}
	r.left--
	if r.left == 0 {
		delete(g.rounds, seq)
	}
	if err != nil {
		return nil, err
	}
	return slots, nil
}

// breakGroup fails every pending and later collective with err: once a
// rank gave up on one, the ranks' sequences no longer line up.
func (g *LocalGroup) breakGroup(err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.broken != nil {
		return
	}
	g.broken = err
	for _, r := range g.rounds {
		if r.arrived < len(g.devs) {
			r.arrived = len(g.devs)
			close(r.done)
		}
	}
}

// localRank is one rank's communicator of a LocalGroup.
type localRank struct {
	g    *LocalGroup
	rank int
	seq  uint64
}

func (l *localRank) Rank() int      { return l.rank }
func (l *localRank) Size() int      { return len(l.g.devs) }
func (l *localRank) Device() Device { return l.g.devs[l.rank] }
func (l *localRank) Close() error   { return nil }

// gather runs one collective and returns every rank's array moved to this
// rank's device, after checking dtypes and shapes agree (except along
// axis, when axis >= 0).
func (l *localRank) gather(ctx context.Context, kind string, x *Array, axis int) ([]*Array, error) {
	seq := l.seq
	l.seq++
	slots, err := l.g.exchange(ctx, l.rank, seq, kind, x)
	if err != nil {
		return nil, err
	}
	dev := l.Device()
	out := make([]*Array, len(slots))
	for i, a := range slots {
		if err := agree(kind, x, a, l.rank, i, axis); err != nil {
			return nil, err
		}
		if out[i], err = a.To(dev); err != nil {
			return nil, fmt.Errorf("%s: rank %d's array to %s: %w", kind, i, dev.Name(), err)
		}
	}
	return out, nil
}

// agree checks that rank j's array b matches rank i's a in dtype and in
// shape, except along axis when axis >= 0.
func agree(kind string, a, b *Array, i, j, axis int) error {
	as, bs := a.Shape(), b.Shape()
	same := a.DType() == b.DType() && len(as) == len(bs)
	for d := 0; same && d < len(as); d++ {
		same = as[d] == bs[d] || d == axis
	}
	if !same {
		return fmt.Errorf("%s: rank %d has %v %v, rank %d %v %v", kind, i, a.DType(), as, j, b.DType(), bs)
	}
	return nil
}

func (l *localRank) AllReduceSum(ctx context.Context, x *Array) (*Array, error) {
	xs, err := l.gather(ctx, "all-reduce", x, -1)
	if err != nil {
		return nil, err
	}
	acc := xs[0]
	for _, a := range xs[1:] {
		if acc, err = BinaryOp("add", acc, a); err != nil {
			return nil, fmt.Errorf("all-reduce: %w", err)
		}
	}
	return acc, nil
}

func (l *localRank) AllGather(ctx context.Context, x *Array, axis int) (*Array, error) {
	if axis < 0 || axis >= x.Rank() {
		return nil, fmt.Errorf("all-gather: axis %d outside [0, %d) of %v", axis, x.Rank(), x)
	}
	xs, err := l.gather(ctx, "all-gather", x, axis)
	if err != nil {
		return nil, err
	}
	if len(xs) == 1 {
		return xs[0], nil
	}
	return ConcatOp(axis, xs...)
}

func (l *localRank) Broadcast(ctx context.Context, x *Array, root int) (*Array, error) {
	if root < 0 || root >= l.Size() {
		return nil, fmt.Errorf("broadcast: root %d outside [0, %d)", root, l.Size())
	}
	xs, err := l.gather(ctx, "broadcast", x, -1)
	if err != nil {
		return nil, err
	}
	return xs[root], nil
}
