package core

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Ops for a paged key/value cache shared by many sequences, the cache of
// a server decoding a batch of them in one pass: every layer's keys (and
// values) live in one array of blocks [blocks, BS, Hkv, D], a sequence
// owns some of the blocks, and a block table (device data) names them in
// order. scatter_rows writes each batch row's new key into the block and
// offset of its position; paged_attention attends each row's query over
// its sequence's positions. Tables, positions and row indices are all
// device arrays, so a recorded decode step (Record) replays with new
// ones, whatever the sequences in the batch and their lengths.

func init() {
	registerCPU("scatter_rows", cpuScatterRows)
	registerCPU("paged_attention", cpuPagedAttention)
}

// checkIndices checks that idx is an I32 array of shape want on dev.
func checkIndices(name, what string, idx *Array, want Shape, dev Device) error {
	switch {
	case idx == nil:
		return fmt.Errorf("%s: nil %s", name, what)
	case idx.dtype != I32 || !idx.shape.Equal(want):
		return fmt.Errorf("%s: %s must be I32 %v, got %v %v", name, what, want, idx.dtype, idx.shape)
	case idx.Device() != dev:
		return fmt.Errorf("%s: %s is on %s, the operands on %s", name, what, idx.Device().Name(), dev.Name())
	}
	return nil
}

// ScatterRowsOp writes row b of src [B, ...] into row idx[b] of dst
// [N, ...] in place, for every b whose index is not negative: a negative
// index skips its row (a padding row of a batch). idx is I32 [B] on
// dst's device; dst must be contiguous and src must match its dtype and
// trailing dimensions. Rows naming one destination row leave one of
// them there. An index >= N is an error on the CPU; a GPU kernel skips
// such a row, so callers check the indices they store.
func ScatterRowsOp(dst, src, idx *Array) error {
	const name = "scatter_rows"
	if dst == nil || src == nil {
		return fmt.Errorf("%s: nil operand", name)
	}
	if err := sameDType(name, dst, src); err != nil {
		return err
	}
	dev, err := sameDevice(name, dst, src)
	if err != nil {
		return err
	}
	if dst.Rank() < 1 || src.Rank() != dst.Rank() || !src.shape[1:].Equal(dst.shape[1:]) {
		return fmt.Errorf("%s: src %v does not match the rows of dst %v", name, src.shape, dst.shape)
	}
	if err := checkIndices(name, "row indices", idx, Shape{src.shape[0]}, dev); err != nil {
		return err
	}
	if !dst.IsContiguous() {
		return fmt.Errorf("%s: dst %v is not contiguous", name, dst.shape)
	}
	ins, err := contiguousAll(src, idx)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return Run(&Op{Name: name, Inputs: ins, Out: dst})
}

// PagedAttentionOp attends one query per batch row over that row's
// sequence in a paged cache. q is [B, Hq, D]; k and v are the cache's
// blocks [NB, BS, Hkv, D]; table (I32 [B, M]) lists each row's blocks in
// order, position j of row b living in block table[b, j/BS] at offset
// j%BS; pos (I32 [B]) is each query's position. Row b attends keys
// 0..pos[b] (with ap.Window, the Window ending at pos[b]), what
// CachedAttentionOp computes for one query over that sequence's
// contiguous cache. A row whose position is negative is padding: its
// output is zeros. A position past the table's M*BS or a block outside
// [0, NB) is an error on the CPU; a GPU kernel writes zeros for such a
// row.
func PagedAttentionOp(q, k, v, table, pos *Array, ap AttentionParams) (*Array, error) {
	const name = "paged_attention"
	if q == nil || k == nil || v == nil {
		return nil, fmt.Errorf("%s: nil operand", name)
	}
	if !q.dtype.IsFloat() {
		return nil, unsupported(name, q.dtype)
	}
	if err := sameDType(name, q, k); err != nil {
		return nil, err
	}
	if err := sameDType(name, q, v); err != nil {
		return nil, err
	}
	dev, err := sameDevice(name, q, k, v)
	if err != nil {
		return nil, err
	}
	if q.Rank() != 3 || k.Rank() != 4 || !k.shape.Equal(v.shape) {
		return nil, fmt.Errorf("%s: q %v must be [B, H, D] and k %v and v %v alike blocks [NB, BS, H, D]", name, q.shape, k.shape, v.shape)
	}
	b, hq, d := q.shape[0], q.shape[1], q.shape[2]
	hkv := k.shape[2]
	switch {
	case k.shape[3] != d:
		return nil, fmt.Errorf("%s: head size of q %v and k %v differ", name, q.shape, k.shape)
	case k.shape[1] == 0:
		return nil, fmt.Errorf("%s: blocks %v of no positions", name, k.shape)
	case hkv == 0 && hq != 0, hkv != 0 && hq%hkv != 0:
		return nil, fmt.Errorf("%s: %d key/value heads do not divide %d query heads", name, hkv, hq)
	case math.IsNaN(ap.Scale) || math.IsInf(ap.Scale, 0):
		return nil, fmt.Errorf("%s: scale %v is not finite", name, ap.Scale)
	}
	if table == nil || table.Rank() != 2 {
		return nil, fmt.Errorf("%s: the block table must be I32 [%d, M]", name, b)
	}
	if err := checkIndices(name, "block table", table, Shape{b, table.shape[1]}, dev); err != nil {
		return nil, err
	}
	if err := checkIndices(name, "positions", pos, Shape{b}, dev); err != nil {
		return nil, err
	}
	if err := ap.check(name); err != nil {
		return nil, err
	}
	ins, err := contiguousAll(q, k, v, table, pos)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	out, err := emptyOutput(dev, q.dtype, q.shape)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return runOp(attentionOpOf(name, ins, out, ap))
}

// int32s reads n I32 values from bytes b.
func int32s(b []byte, n int) []int {
	v := make([]int, n)
	for i := range v {
		v[i] = int(int32(binary.LittleEndian.Uint32(b[i*4:])))
	}
	return v
}

// hostInts reads a host I32 array.
func hostInts(name string, a *Array) ([]int, error) {
	hs, ok := a.storage.(HostStorage)
	if !ok {
		return nil, fmt.Errorf("%s: indices are not in host memory", name)
	}
	return int32s(hs.Bytes()[a.offset*4:], a.NumElements()), nil
}

// deviceInts reads an I32 array from any device.
func deviceInts(name string, a *Array) ([]int, error) {
	b, err := a.Bytes()
	if err != nil {
		return nil, fmt.Errorf("%s: read the indices: %w", name, err)
	}
	if len(b) < 4*a.NumElements() {
		return nil, fmt.Errorf("%s: %d bytes of indices for %d", name, len(b), a.NumElements())
	}
	return int32s(b, a.NumElements()), nil
}

// pagedRows returns the cache rows (block*BS + offset, in [NB*BS]) of
// positions 0..p of the row whose blocks are blocks, or an error naming
// the rule broken.
func pagedRows(row, p int, blocks []int, nb, bs int) ([]int, error) {
	if (p+bs)/bs > len(blocks) {
		return nil, fmt.Errorf("paged_attention: row %d: position %d is past the %d positions of its %d table entries", row, p, len(blocks)*bs, len(blocks))
	}
	rows := make([]int, p+1)
	for j := range rows {
		blk := blocks[j/bs]
		if blk < 0 || blk >= nb {
			return nil, fmt.Errorf("paged_attention: row %d: block %d (entry %d) is outside the cache's %d blocks", row, blk, j/bs, nb)
		}
		rows[j] = blk*bs + j%bs
	}
	return rows, nil
}

func cpuScatterRows(op *Op) error {
	src, dst := op.Inputs[0], op.Out
	idx, err := hostInts(op.Name, op.Inputs[1])
	if err != nil {
		return err
	}
	n := dst.shape[0]
	for b, i := range idx {
		if i >= n {
			return fmt.Errorf("scatter_rows: row %d names row %d of a dst of %d rows", b, i, n)
		}
	}
	if src.NumElements() == 0 || n == 0 { // n == 0: every index was -1
		return nil
	}
	db, sb, row, err := hostRowBytes(op.Name, dst, src)
	if err != nil {
		return err
	}
	for b, i := range idx {
		if i >= 0 {
			copy(db[i*row:][:row], sb[b*row:][:row])
		}
	}
	return nil
}

// cpuPagedAttention gathers each row's keys and values into contiguous
// copies and runs the causal attention kernel on them, one query over
// p+1 keys: what cached_attention runs on a sequence's own cache, so
// the two agree to the bit on the CPU.
func cpuPagedAttention(op *Op) error {
	q, k, v, out := op.Inputs[0], op.Inputs[1], op.Inputs[2], op.Out
	table, err := hostInts(op.Name, op.Inputs[3])
	if err != nil {
		return err
	}
	pos, err := hostInts(op.Name, op.Inputs[4])
	if err != nil {
		return err
	}
	nb, bs, hkv, d := k.shape[0], k.shape[1], k.shape[2], k.shape[3]
	m := op.Inputs[3].shape[1]
	os, ok := out.storage.(HostStorage)
	if !ok || !os.Writable() {
		return fmt.Errorf("paged_attention: out is not writable host memory")
	}
	es := k.dtype.Size()
	kb, ok1 := k.storage.(HostStorage)
	vb, ok2 := v.storage.(HostStorage)
	if !ok1 || !ok2 {
		return fmt.Errorf("paged_attention: the cache is not in host memory")
	}
	krow := hkv * d * es
	ks, vs := kb.Bytes()[k.offset*es:], vb.Bytes()[v.offset*es:]
	for b, p := range pos {
		qr, err := q.Slice(0, b, b+1, 1)
		if err != nil {
			return err
		}
		or, err := out.Slice(0, b, b+1, 1)
		if err != nil {
			return err
		}
		if p < 0 {
			clear(os.Bytes()[or.offset*es:][:or.NumElements()*es])
			continue
		}
		rows, err := pagedRows(b, p, table[b*m:(b+1)*m], nb, bs)
		if err != nil {
			return err
		}
		kc, err := Empty(CPU(), k.dtype, Shape{p + 1, hkv, d})
		if err != nil {
			return err
		}
		vc, err := Empty(CPU(), k.dtype, Shape{p + 1, hkv, d})
		if err != nil {
			return err
		}
		kcb, vcb := kc.storage.(HostStorage).Bytes(), vc.storage.(HostStorage).Bytes()
		for j, r := range rows {
			copy(kcb[j*krow:][:krow], ks[r*krow:][:krow])
			copy(vcb[j*krow:][:krow], vs[r*krow:][:krow])
		}
		sub := &Op{Name: op.Name, Inputs: []*Array{qr, kc, vc}, Out: or, Param: op.Param, Params: op.Params, Attrs: op.Attrs}
		if err := floatKernel(sub, attentionKernel[float32], attentionKernel[float64]); err != nil {
			return err
		}
	}
	return nil
}

// decomposeScatterRows runs scatter_rows as one copy per row on the
// op's device, reading the indices back first.
func decomposeScatterRows(op *Op) error {
	src, dst := op.Inputs[0], op.Out
	idx, err := deviceInts(op.Name, op.Inputs[1])
	if err != nil {
		return err
	}
	for b, i := range idx {
		if i < 0 {
			continue
		}
		if i >= dst.shape[0] {
			return fmt.Errorf("scatter_rows: row %d names row %d of a dst of %d rows", b, i, dst.shape[0])
		}
		s, err := src.Slice(0, b, b+1, 1)
		if err != nil {
			return err
		}
		r, err := dst.Slice(0, i, i+1, 1)
		if err != nil {
			return err
		}
		if err := Run(&Op{Name: "copy", Inputs: []*Array{s}, Out: r}); err != nil {
			return err
		}
	}
	return nil
}

// decomposePagedAttention runs paged_attention per row on the op's
// device: the row's key and value rows gathered, then causal attention
// of its one query; padding rows get zeros.
func decomposePagedAttention(op *Op) error {
	q, k, v, out := op.Inputs[0], op.Inputs[1], op.Inputs[2], op.Out
	table, err := deviceInts(op.Name, op.Inputs[3])
	if err != nil {
		return err
	}
	pos, err := deviceInts(op.Name, op.Inputs[4])
	if err != nil {
		return err
	}
	nb, bs, hkv, d := k.shape[0], k.shape[1], k.shape[2], k.shape[3]
	m := op.Inputs[3].shape[1]
	dev := out.Device()
	kf, err := k.Reshape(nb*bs, hkv, d)
	if err != nil {
		return err
	}
	vf, err := v.Reshape(nb*bs, hkv, d)
	if err != nil {
		return err
	}
	for b, p := range pos {
		or, err := out.Slice(0, b, b+1, 1)
		if err != nil {
			return err
		}
		var a *Array
		if p < 0 {
			if a, err = Empty(dev, out.dtype, or.shape); err != nil { // zero-filled
				return err
			}
		} else {
			rows, err := pagedRows(b, p, table[b*m:(b+1)*m], nb, bs)
			if err != nil {
				return err
			}
			r32 := make([]int32, len(rows))
			for i, r := range rows {
				r32[i] = int32(r)
			}
			it, err := FromSlice(r32, len(r32))
			if err != nil {
				return err
			}
			idx, err := it.Array().To(dev)
			if err != nil {
				return err
			}
			kg, err := GatherOp(kf, 0, idx)
			if err != nil {
				return err
			}
			vg, err := GatherOp(vf, 0, idx)
			if err != nil {
				return err
			}
			qr, err := q.Slice(0, b, b+1, 1)
			if err != nil {
				return err
			}
			if a, err = AttentionOp(qr, kg, vg, op.Attention()); err != nil {
				return err
			}
		}
		if err := Run(&Op{Name: "copy", Inputs: []*Array{a}, Out: or}); err != nil {
			return err
		}
	}
	return nil
}
