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
// there (a conversation whose last turn was re-rendered).
func (c *Cache) Truncate(n int) error {
	if n < 0 || n > c.n {
		return fmt.Errorf("llama: cannot truncate a cache of %d positions to %d", c.n, n)
	}
	if n == c.n {
		return nil
	}
	if n == 0 {
		c.Reset()
		return nil
	}
	for i := range c.k {
		k, err := c.k[i].Slice(0, 0, n, 1)
		if err != nil {
			return err
		}
		v, err := c.v[i].Slice(0, 0, n, 1)
		if err != nil {
			return err
		}
		c.k[i], c.v[i] = k, v
	}
	c.n = n
	return nil
}
