package llama

import (
	"fmt"

	"github.com/lbrx/lbrx/core"
)

// Cache holds a sequence's keys and values per layer, [T, KVHeads,
// HeadDim] each, on the model's device. Forward appends the positions it
// runs; Len is the next position. A sliding-window layer keeps only the
// last window-1 positions, all that its later queries can see.
type Cache struct {
	k, v []*core.Array
	n    int
}

// NewCache returns an empty cache for m.
func (m *Model) NewCache() *Cache {
	return &Cache{k: make([]*core.Array, len(m.layers)), v: make([]*core.Array, len(m.layers))}
}

// Len returns the number of positions cached.
func (c *Cache) Len() int { return c.n }

// Reset empties the cache for a new sequence.
func (c *Cache) Reset() {
	clear(c.k)
	clear(c.v)
	c.n = 0
}

// Truncate drops the cached positions from n on, so a sequence that
// shares only its first n tokens with the cached one can continue from
// there (a conversation whose last turn was re-rendered). A
// sliding-window layer that already let positions go cannot be cut back
// (the window before n is gone): Truncate then fails and leaves the
// cache as it was; Reset and run the sequence again.
func (c *Cache) Truncate(n int) error {
	if n < 0 || n > c.n {
		return fmt.Errorf("llama: cannot truncate a cache of %d positions to %d", c.n, n)
	}
	if n == c.n {
		return nil
	}
	for i := range c.k {
		if rows := c.k[i].Shape()[0]; rows < c.n {
			return fmt.Errorf("llama: cannot truncate the cache to %d positions: sliding-window layer %d keeps only the last %d of %d", n, i, rows, c.n)
		}
	}
	if n == 0 {
		c.Reset()
		return nil
	}
	ks, vs := make([]*core.Array, len(c.k)), make([]*core.Array, len(c.v))
	for i := range c.k {
		var err error
		if ks[i], err = c.k[i].Slice(0, 0, n, 1); err != nil {
			return err
		}
		if vs[i], err = c.v[i].Slice(0, 0, n, 1); err != nil {
			return err
		}
	}
	c.k, c.v, c.n = ks, vs, n
	return nil
}
