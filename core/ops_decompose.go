package core

import (
	"encoding/binary"
	"fmt"
)

// decompose runs op as simpler ops on its own device, for a device that
// has no kernel for it: the cache and fused ops (write_rows,
// cached_attention, rope_cache, silu_mul, add_rms_norm,
// silu_mul_matmul, scatter_rows, paged_attention) are newer than some
// backends' kernels, and running
// their parts on the device beats copying a whole KV cache to the
// host and back per layer. handled is false for ops without a
// decomposition; the caller then falls back to the CPU. The cache ops
// read their position back to the host first (a wait for the device), so
// they are never decomposed inside a recording.
func decompose(op *Op) (handled bool, err error) {
	in := op.Inputs
	switch op.Name {
	case "silu_mul":
		s, err := UnaryOp("silu", in[0])
		if err != nil {
			return true, err
		}
		p, err := BinaryOp("mul", s, in[1])
		if err != nil {
			return true, err
		}
		return true, Run(&Op{Name: "copy", Inputs: []*Array{p}, Out: op.Out})
	case "add_rms_norm":
		// add and rms_norm write straight into Out's halves (contiguous).
		os, oy, err := halves(op.Out)
		if err != nil {
			return true, err
		}
		if err := Run(&Op{Name: "add", Inputs: in[:2], Out: os}); err != nil {
			return true, err
		}
		return true, Run(&Op{Name: "rms_norm", Inputs: []*Array{os, in[2]}, Out: oy, Param: op.Param, Attrs: op.Attrs})
	case "rope_cache":
		return true, decomposeRoPECache(op)
	case "silu_mul_matmul":
		return true, decomposeSiLUMulMatMul(op)
	case "quantized_matmul_parts":
		return true, decomposeQuantizedParts(op)
	case "scatter_rows":
		return true, decomposeScatterRows(op)
	case "paged_attention":
		return true, decomposePagedAttention(op)
	case "write_rows":
		src, dst := in[0], op.Out
		p, err := devicePos(op.Name, in[1])
		if err != nil {
			return true, err
		}
		t, c := src.shape[0], dst.shape[0]
		if p < 0 || p+t > c {
			return true, fmt.Errorf("write_rows: rows [%d, %d) are outside the %d rows of dst", p, p+t, c)
		}
		if t == 0 || src.NumElements() == 0 {
			return true, nil
		}
		rows, err := dst.Slice(0, p, p+t, 1)
		if err != nil {
			return true, err
		}
		return true, Run(&Op{Name: "copy", Inputs: []*Array{src}, Out: rows})
	case "cached_attention":
		q, k, v := in[0], in[1], in[2]
		p, err := devicePos(op.Name, in[3])
		if err != nil {
			return true, err
		}
		tq, c := q.shape[0], k.shape[0]
		if p < 0 || p+tq > c {
			return true, fmt.Errorf("cached_attention: %d queries at position %d overrun the %d cached rows", tq, p, c)
		}
		ks, err := k.Slice(0, 0, p+tq, 1)
		if err != nil {
			return true, err
		}
		vs, err := v.Slice(0, 0, p+tq, 1)
		if err != nil {
			return true, err
		}
		a, err := AttentionOp(q, ks, vs, op.Attention())
		if err != nil {
			return true, err
		}
		return true, Run(&Op{Name: "copy", Inputs: []*Array{a}, Out: op.Out})
	}
	return false, nil
}

// devicePos reads an I32 position from any device.
func devicePos(name string, pos *Array) (int, error) {
	b, err := pos.Bytes()
	if err != nil {
		return 0, fmt.Errorf("%s: read the position: %w", name, err)
	}
	if len(b) < 4 {
		return 0, fmt.Errorf("%s: position of %d bytes", name, len(b))
	}
	return int(int32(binary.LittleEndian.Uint32(b))), nil
}
