package llama

import (
	"encoding/binary"
	"fmt"

	"github.com/lbrx/lbrx/core"
)

// Cache holds a sequence's keys and values per layer on the model's
// device, preallocated: [capacity, KVHeads, HeadDim] each, written in
// place at the next position (core.WriteRowsOp) and read up to it
// (core.CachedAttentionOp). The position lives in a device array, so the
// addresses a decode step touches stay fixed from step to step and a
// recorded step (core.Record) replays at every position. The capacity
// grows by reallocation when a call needs more; Len is the next position.
//
// A sliding-window layer keeps every position too, its window masking
// the older ones in the attention (core.AttentionParams.Window): one
// capacity and one position for all layers is what lets a decode step be
// recorded once, and it lets Truncate cut back to any earlier position.
// The price is memory: such a layer holds capacity rows, not its window.
type Cache struct {
	k, v []*core.Array
	n    int
	// pos holds n as an I32 on the device, for the ops above.
	pos *core.Array
}

// NewCache returns an empty cache for m; its memory is allocated by the
// first Forward (or Reserve).
func (m *Model) NewCache() *Cache {
	return &Cache{k: make([]*core.Array, len(m.layers)), v: make([]*core.Array, len(m.layers))}
}

// Len returns the number of positions cached.
func (c *Cache) Len() int { return c.n }

// Capacity returns the positions the cache holds without growing.
func (c *Cache) Capacity() int {
	if len(c.k) == 0 || c.k[0] == nil {
		return 0
	}
	return c.k[0].Shape()[0]
}

// Reset empties the cache for a new sequence; its memory is kept.
func (c *Cache) Reset() { c.n = 0 }

// Reserve makes room for n positions in all, so that calls up to that
// length neither reallocate nor move the cache.
func (m *Model) Reserve(c *Cache, n int) error {
	if len(c.k) != len(m.layers) {
		return fmt.Errorf("llama: cache has %d layers, the model %d", len(c.k), len(m.layers))
	}
	if n <= c.Capacity() {
		return nil
	}
	cfg := m.Config
	if c.pos == nil {
		pos, err := core.Empty(m.dev, core.I32, core.Shape{1})
		if err != nil {
			return err
		}
		c.pos = pos
	}
	// Keep what is cached: copy its rows into the new arrays at 0.
	if err := c.setPos(0); err != nil {
		return err
	}
	for i := range c.k {
		for _, a := range []*[]*core.Array{&c.k, &c.v} {
			grown, err := core.Empty(m.dev, m.dtype, core.Shape{n, cfg.NumKVHeads, cfg.HeadDim})
			if err != nil {
				return fmt.Errorf("llama: cache of %d positions: %w", n, err)
			}
			if old := (*a)[i]; old != nil && c.n > 0 {
				rows, err := old.Slice(0, 0, c.n, 1)
				if err != nil {
					return err
				}
				if err := core.WriteRowsOp(grown, rows, c.pos); err != nil {
					return err
				}
			}
			(*a)[i] = grown
		}
	}
	return nil
}

// grow makes room for t more positions, doubling the capacity when it
// must grow so that a long generation reallocates rarely.
func (m *Model) grow(c *Cache, t int) error {
	if need := c.n + t; need > c.Capacity() {
		return m.Reserve(c, max(need, 2*c.Capacity()))
	}
	return nil
}

// setPos writes p into the device position.
func (c *Cache) setPos(p int) error {
	b := binary.LittleEndian.AppendUint32(nil, uint32(int32(p)))
	return c.pos.Device().CopyFromHost(c.pos.Storage(), c.pos.Offset()*4, b)
}

// Truncate drops the cached positions from n on, so a sequence that
// shares only its first n tokens with the cached one can continue from
// there (a conversation whose last turn was re-rendered). Every layer,
// sliding-window ones included, keeps all its positions, so any n up to
// Len works; the rows past n are overwritten by the next call.
func (c *Cache) Truncate(n int) error {
	if n < 0 || n > c.n {
		return fmt.Errorf("llama: cannot truncate a cache of %d positions to %d", c.n, n)
	}
	c.n = n
	return nil
}
