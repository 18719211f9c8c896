package tokenizer

import (
	"container/heap"
	"fmt"
)

// spm is llama.cpp's SentencePiece tokenizer for GGUF "llama" vocabularies:
// the text starts as one symbol per UTF-8 character, and the adjacent pair
// whose concatenation is the token with the highest score is merged first
// (leftmost among equal scores), until no pair forms a token. A final
// symbol that is not a token becomes its bytes' <0xNN> tokens.
type spm struct {
	vocab   map[string]int
	scores  []float32
	byteIDs [256]int // <0xNN>, or the one-byte token; -1 if neither
	unk     int
}

type spmSym struct {
	lo, n      int // byte range in the text
	prev, next int
}

type spmBigram struct {
	left, right int
	score       float32
	size        int
}

type spmQueue []spmBigram

func (q spmQueue) Len() int { return len(q) }
func (q spmQueue) Less(i, j int) bool {
	if q[i].score != q[j].score {
		return q[i].score > q[j].score
	}
	return q[i].left < q[j].left
}
func (q spmQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *spmQueue) Push(x any)   { *q = append(*q, x.(spmBigram)) }
func (q *spmQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

// utf8Len is the sequence length a lead byte announces (1 for a stray
// continuation byte), as llama.cpp splits text.
func utf8Len(c byte) int {
	switch {
	case c < 0xC0:
		return 1
	case c < 0xE0:
		return 2
	case c < 0xF0:
		return 3
	}
	return 4
}

func (m *spm) encode(text string, dst []int) ([]int, error) {
	if text == "" {
		return dst, nil
	}
	var syms []spmSym
	for off := 0; off < len(text); {
		n := min(utf8Len(text[off]), len(text)-off)
		syms = append(syms, spmSym{lo: off, n: n, prev: len(syms) - 1, next: len(syms) + 1})
		off += n
	}
	syms[len(syms)-1].next = -1
	var q spmQueue
	try := func(l, r int) {
		if l < 0 || r < 0 {
			return
		}
		s := text[syms[l].lo : syms[l].lo+syms[l].n+syms[r].n]
		id, ok := m.vocab[s]
		if !ok {
			return
		}
		heap.Push(&q, spmBigram{left: l, right: r, score: m.scores[id], size: len(s)})
	}
	for i := 1; i < len(syms); i++ {
		try(i-1, i)
	}
	for q.Len() > 0 {
		b := heap.Pop(&q).(spmBigram)
		l, r := &syms[b.left], &syms[b.right]
		if l.n == 0 || r.n == 0 || l.n+r.n != b.size {
			continue
		}
		l.n += r.n
		r.n = 0
		l.next = r.next
		if r.next >= 0 {
			syms[r.next].prev = b.left
		}
		try(l.prev, b.left)
		try(b.left, l.next)
	}
	for i := 0; i >= 0; i = syms[i].next {
		s := text[syms[i].lo : syms[i].lo+syms[i].n]
		if id, ok := m.vocab[s]; ok {
			dst = append(dst, id)
			continue
		}
		for k := 0; k < len(s); k++ {
			id := m.byteIDs[s[k]]
			if id < 0 {
				if m.unk < 0 {
					return dst, fmt.Errorf("byte 0x%02X has no token and the vocabulary has no unknown token", s[k])
				}
				id = m.unk
			}
			dst = append(dst, id)
		}
	}
	return dst, nil
}
