package llama

import "github.com/lbrx/lbrx/core"

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
