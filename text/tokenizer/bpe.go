package tokenizer

import (
	"fmt"
	"sort"
	"strings"
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

	// meta is U+2581 ("▁") when the model is SentencePiece-style and
	// words may be cut before it (see metaCuts); "" otherwise. crossing
	// holds the tokens that span such a cut.
	meta     string
	crossing []string

	cache wordCache
}

type merge struct{ rank, id int32 }

func pairKey(a, b int) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

// mergeAdder looks merges up by the tokens' strings as the file writes
// them (byte-level ones in their rune form: no translation per merge).
type mergeAdder struct {
	m     *bpe
	vocab map[string]int // the file's token strings
	buf   []byte
}

// add records that left+right merge into the token left+right with the
// given rank; an error when a part or the result is not in the vocabulary.
func (ma *mergeAdder) add(left, right string, rank int) error {
	m := ma.m
	a, ok1 := ma.vocab[left]
	b, ok2 := ma.vocab[right]
	ma.buf = append(append(ma.buf[:0], left...), right...)
	c, ok3 := ma.vocab[string(ma.buf)]
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

// symHeap is a min-heap of candidate merges, rank << 32 | position, so
// that the lowest rank pops first and the leftmost among equal ranks
// (typed rather than container/heap: the interface calls cost a third of
// the time on long words).
type symHeap []uint64

func (h *symHeap) push(x uint64) {
	*h = append(*h, x)
	a := *h
	for i := len(a) - 1; i > 0; {
		p := (i - 1) / 2
		if a[p] <= a[i] {
			break
		}
		a[p], a[i] = a[i], a[p]
		i = p
	}
}

func (h *symHeap) pop() uint64 {
	a := *h
	top := a[0]
	n := len(a) - 1
	a[0] = a[n]
	a = a[:n]
	for i := 0; ; {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && a[r] < a[l] {
			m = r
		}
		if a[i] <= a[m] {
			break
		}
		a[i], a[m] = a[m], a[i]
		i = m
	}
	*h = a
	return top
}

// heapify orders a slice in place.
func (h symHeap) heapify() {
	n := len(h)
	for i := n/2 - 1; i >= 0; i-- {
		for j := i; ; {
			l := 2*j + 1
			if l >= n {
				break
			}
			m := l
			if r := l + 1; r < n && h[r] < h[l] {
				m = r
			}
			if h[j] <= h[m] {
				break
			}
			h[j], h[m] = h[m], h[j]
			j = m
		}
	}
}

// bpeScratch is per-call working memory.
type bpeScratch struct {
	syms []symbol
	heap symHeap
}

var bpeScratchPool = sync.Pool{New: func() any { return new(bpeScratch) }}

// encode appends the ids of one pre-tokenized word.
func (m *bpe) encode(w string, dst []int) ([]int, error) {
	if m.meta == "" || len(w) <= cacheMaxWord {
		return m.encodeWord(w, dst)
	}
	// A SentencePiece-style model sees whole sentences as one word. Cut it
	// before each "▁" that follows another character unless a crossing
	// token could span the cut: no merge can then join the two sides, so
	// the ids are the same, the merge queue stays short and the cache
	// sees real words.
	var err error
	lo := 0
	for i := 1; i < len(w); i++ {
		if w[i] != m.meta[0] || !strings.HasPrefix(w[i:], m.meta) || strings.HasSuffix(w[:i], m.meta) || m.spans(w, i) {
			continue
		}
		if dst, err = m.encodeWord(w[lo:i], dst); err != nil {
			return dst, err
		}
		lo = i
	}
	return m.encodeWord(w[lo:], dst)
}

// spans reports whether a crossing token occurs in w across the cut at i.
func (m *bpe) spans(w string, i int) bool {
	for _, t := range m.crossing {
		for k := 1; k < len(t); k++ {
			if strings.HasPrefix(t[k:], m.meta) && !strings.HasSuffix(t[:k], m.meta) &&
				i-k >= 0 && strings.HasPrefix(w[i-k:], t) {
				return true
			}
		}
	}
	return false
}

// maxCrossing bounds the crossing tokens checked at every cut.
const maxCrossing = 64

// setMeta enables cutting words before "▁" for a model whose vocabulary
// uses it, when few tokens cross such a cut.
func (m *bpe) setMeta() {
	const meta = "\u2581"
	if m.byteLevel {
		return
	}
	var crossing []string
	uses := false
	for tok := range m.vocab {
		if !strings.Contains(tok, meta) {
			continue
		}
		uses = true
		for k := 1; k < len(tok); k++ {
			if strings.HasPrefix(tok[k:], meta) && !strings.HasSuffix(tok[:k], meta) {
				crossing = append(crossing, tok)
				break
			}
		}
	}
	if !uses || len(crossing) > maxCrossing {
		return
	}
	sort.Strings(crossing)
	m.meta, m.crossing = meta, crossing
}

// encodeWord runs the merges on one word.
func (m *bpe) encodeWord(w string, dst []int) ([]int, error) {
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
	h.heapify()
	for len(h) > 0 {
		top := h.pop()
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
				h.push(uint64(mg.rank)<<32 | uint64(s.prev))
			}
		}
		if s.next >= 0 {
			if mg, ok := m.merges[pairKey(s.id, syms[s.next].id)]; ok {
				h.push(uint64(mg.rank)<<32 | uint64(pos))
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
