package tokenizer

import (
	"container/heap"
	"fmt"
	"sync"
	"unicode/utf8"
)

// bpe is a byte-pair-encoding model: a word starts as one symbol per
// character (per byte for byte-level models) and the pair with the lowest
// merge rank is merged until no listed pair is left, leftmost first among
// equal ranks — Hugging Face's BPE and llama.cpp's gpt2 tokenizer alike.
type bpe struct {
	// vocab maps a token to its id. For byte-level models the key is the
	// token's raw bytes (the byte-to-rune mapping undone at load), so words
	// are never mapped to runes at encode time.
	vocab  map[string]int
	merges map[uint64]merge // key: left id << 32 | right id

	byteLevel bool
	byteIDs   [256]int // byte-level: the token of each byte; byte fallback: <0xNN>; -1 if none

	unk          int // -1: none
	fuseUnk      bool
	byteFallback bool
	ignoreMerges bool

	cache wordCache
}

type merge struct{ rank, id int32 }

func pairKey(a, b int) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

// addMerge records that left+right merge into the token left+right with
// the given rank; ok is false when a part or the result is not in the
// vocabulary.
func (m *bpe) addMerge(left, right string, rank int) error {
	a, ok1 := m.vocab[left]
	b, ok2 := m.vocab[right]
	c, ok3 := m.vocab[left+right]
	if !ok1 || !ok2 || !ok3 {
		return fmt.Errorf("merge %d (%q %q): token not in the vocabulary", rank, left, right)
	}
	k := pairKey(a, b)
	if _, dup := m.merges[k]; !dup { // the first listing of a pair ranks it
		m.merges[k] = merge{int32(rank), int32(c)}
	}
	return nil
}

// setBytes fills byteIDs once the vocabulary is known.
func (m *bpe) setBytes() {
	for b := range 256 {
		m.byteIDs[b] = -1
		key := fmt.Sprintf("<0x%02X>", b)
		if m.byteLevel {
			key = string([]byte{byte(b)})
		}
		if id, ok := m.vocab[key]; ok {
			m.byteIDs[b] = id
		}
	}
}

type symbol struct {
	id         int
	prev, next int
	size       int // bytes of the word it covers; 0 once merged away
}

// symHeap orders candidate merges by rank, then by position.
type symHeap []uint64

func (h symHeap) Len() int           { return len(h) }
func (h symHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h symHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *symHeap) Push(x any)        { *h = append(*h, x.(uint64)) }
func (h *symHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// bpeScratch is per-call working memory.
type bpeScratch struct {
	syms []symbol
	heap symHeap
}

var bpeScratchPool = sync.Pool{New: func() any { return new(bpeScratch) }}

// encode appends the ids of one pre-tokenized word.
func (m *bpe) encode(w string, dst []int) ([]int, error) {
	if w == "" {
		return dst, nil
	}
	if ids, ok := m.cache.get(w); ok {
		return append(dst, ids...), nil
	}
	if m.ignoreMerges {
		if id, ok := m.vocab[w]; ok {
			return append(dst, id), nil
		}
	}
	sc := bpeScratchPool.Get().(*bpeScratch)
	defer bpeScratchPool.Put(sc)
	syms, err := m.initial(w, sc.syms[:0])
	if err != nil {
		return dst, err
	}
	sc.syms = syms
	h := sc.heap[:0]
	push := func(pos int) {
		nx := syms[pos].next
		if nx < 0 {
			return
		}
		if mg, ok := m.merges[pairKey(syms[pos].id, syms[nx].id)]; ok {
			h = append(h, uint64(mg.rank)<<32|uint64(pos))
		}
	}
	for i := range syms {
		push(i)
	}
	heap.Init(&h)
	for len(h) > 0 {
		top := heap.Pop(&h).(uint64)
		pos, rank := int(uint32(top)), int32(top>>32)
		s := &syms[pos]
		if s.size == 0 || s.next < 0 {
			continue
		}
		r := &syms[s.next]
		mg, ok := m.merges[pairKey(s.id, r.id)]
		if !ok || mg.rank != rank {
			continue // the pair changed since it was queued
		}
		s.id = int(mg.id)
		s.size += r.size
		r.size = 0
		s.next = r.next
		if s.next >= 0 {
			syms[s.next].prev = pos
		}
		if s.prev >= 0 {
			if mg, ok := m.merges[pairKey(syms[s.prev].id, s.id)]; ok {
				heap.Push(&h, uint64(mg.rank)<<32|uint64(s.prev))
			}
		}
		if s.next >= 0 {
			if mg, ok := m.merges[pairKey(s.id, syms[s.next].id)]; ok {
				heap.Push(&h, uint64(mg.rank)<<32|uint64(pos))
			}
		}
	}
	sc.heap = h
	start := len(dst)
	for i := 0; i >= 0 && i < len(syms); i = syms[i].next {
		dst = append(dst, syms[i].id)
	}
	m.cache.put(w, dst[start:])
	return dst, nil
}

// initial splits a word into its first symbols.
func (m *bpe) initial(w string, syms []symbol) ([]symbol, error) {
	add := func(id, size int) {
		n := len(syms)
		syms = append(syms, symbol{id: id, prev: n - 1, next: n + 1, size: size})
	}
	if m.byteLevel {
		for i := 0; i < len(w); i++ {
			id := m.byteIDs[w[i]]
			if id < 0 {
				if m.unk < 0 {
					return syms, fmt.Errorf("byte 0x%02X has no token and the model has no unknown token", w[i])
				}
				id = m.unk
			}
			add(id, 1)
		}
	} else {
		for i := 0; i < len(w); {
			_, n := utf8.DecodeRuneInString(w[i:])
			if id, ok := m.vocab[w[i:i+n]]; ok {
				add(id, n)
				i += n
				continue
			}
			if m.byteFallback && m.allBytes(w[i:i+n]) {
				for k := i; k < i+n; k++ {
					add(m.byteIDs[w[k]], 1)
				}
				i += n
				continue
			}
			if m.unk < 0 {
				return syms, fmt.Errorf("%q is not in the vocabulary and the model has no unknown token", w[i:i+n])
			}
			if l := len(syms) - 1; m.fuseUnk && l >= 0 && syms[l].id == m.unk {
				syms[l].size += n
			} else {
				add(m.unk, n)
			}
			i += n
		}
	}
	if len(syms) > 0 {
		syms[len(syms)-1].next = -1
	}
	return syms, nil
}

func (m *bpe) allBytes(s string) bool {
	for i := 0; i < len(s); i++ {
		if m.byteIDs[s[i]] < 0 {
			return false
		}
	}
	return true
}

// wordCache remembers the ids of short words (real text repeats its words).
type wordCache struct {
	mu sync.RWMutex
	m  map[string][]int
}

const (
	cacheWords   = 1 << 17
	cacheMaxWord = 64
)

func (c *wordCache) get(w string) ([]int, bool) {
	if len(w) > cacheMaxWord {
		return nil, false
	}
	c.mu.RLock()
	ids, ok := c.m[w]
	c.mu.RUnlock()
	return ids, ok
}

func (c *wordCache) put(w string, ids []int) {
	if len(w) > cacheMaxWord {
		return
	}
	c.mu.Lock()
	if c.m == nil {
		c.m = make(map[string][]int)
	}
	if len(c.m) < cacheWords {
		c.m[w] = append([]int(nil), ids...)
	}
	c.mu.Unlock()
}
