package cuda

import (
	"cmp"
	"fmt"
	"os"

	"github.com/lbrx/lbrx/core"
)

// The transformer ops (kernels/transformer.cu). core hands them contiguous
// inputs; anything else, and head sizes beyond the attention kernel's 512,
// runs on the CPU.

const (
	attentionBlock   = 128
	attentionMaxHead = attentionBlock * 4 // ATT_DIMS accumulators per thread
	// warpMaxHead is the head size the warp-per-row kernel holds in
	// registers (32 lanes × ATT_LANE_DIMS).
	warpMaxHead = 32 * 4
)

// warpAttention picks the warp-per-row attention kernel for prompts
// (several queries); one query (decode) keeps the block-per-row kernel,
// whose 128 threads split a short context's keys.
func warpAttention(tq, headDim int) bool {
	return tq > 1 && headDim <= warpMaxHead && !blockAttentionOnly
}

// blockAttentionOnly (LBRX_CUDA_ATTENTION=block) keeps prompts on the
// block-per-row kernel; read once, like the other kernel switches, not
// on every attention call.
var blockAttentionOnly = os.Getenv("LBRX_CUDA_ATTENTION") == "block"

// decodeAttentionDefault is the block-per-row (decode) attention body
// used without LBRX_CUDA_DECODE_ATTENTION: "vec" (attend_vec) or "old"
// (attend); the variable, read once like the other kernel switches, takes
// the same two values.
const decodeAttentionDefault = "vec"

// attvBuilt says whether transformer.cu is compiled with attend_vec's
// kernels (LBRX_ATTV, kernelSource): with "old" NVRTC never sees them.
// vecAttentionOff sends cached and paged attention's block-per-row rows
// to attend even so (the tests and the benchmark set it to run both).
var (
	attvBuilt       = cmp.Or(os.Getenv("LBRX_CUDA_DECODE_ATTENTION"), decodeAttentionDefault) != "old"
	vecAttentionOff = !attvBuilt
)

// vecAttentionThreads and vecAttentionMaxHead are attend_vec's block
// size and largest head (ATTV_THREADS, ATTV_MAX_HEAD).
const (
	vecAttentionThreads = 256
	vecAttentionMaxHead = 256
)

// vecAttention reports whether a block-per-row attention of head size d
// over these arrays can take attend_vec: float compute, whole 16-byte
// loads of 8 values (d a multiple of 8, every array's data 16-byte
// aligned) and a head of at most vecAttentionMaxHead.
func vecAttention(dt core.DType, d int, arrays ...*core.Array) bool {
	if !attvBuilt || vecAttentionOff || dt == core.F64 || d%8 != 0 || d > vecAttentionMaxHead {
		return false
	}
	for _, a := range arrays {
		if dataPtr(a)%16 != 0 {
			return false
		}
	}
	return true
}

// warpGrid is the grid of attentionBlock-thread blocks giving each of
// rows its own warp.
func warpGrid(rows int) int {
	w := attentionBlock / 32
	return (rows + w - 1) / w
}

func (d *Device) transformer(op *core.Op) error {
	in, out := op.Inputs, op.Out
	for _, a := range in {
		if !a.IsContiguous() {
			return unsupported(op, "input %v is not contiguous", a)
		}
	}
	dt := out.DType()
	if !dt.IsFloat() {
		return unsupported(op, "dtype %v", dt)
	}
	name := op.Name + "_" + suffix(dt)
	switch op.Name {
	case "rms_norm":
		if len(in) != 2 || in[0].DType() != dt || in[1].DType() != dt || in[1].Rank() != 1 {
			return fmt.Errorf("cuda: rms_norm wants x and a 1-D weight of dtype %v", dt)
		}
		dim := in[1].Shape()[0]
		if dim == 0 {
			return nil
		}
		rows := in[0].NumElements() / dim
		args := (&kargs{}).ptr(dataPtr(in[0])).ptr(dataPtr(in[1])).ptr(dataPtr(out)).i64(dim).f64(op.Param)
		return d.launch("transformer", dt, name, rows, blockFor(dim), args)
	case "add_rms_norm":
		if len(in) != 3 || in[0].DType() != dt || in[1].DType() != dt || in[2].DType() != dt || in[2].Rank() != 1 ||
			!in[0].Shape().Equal(in[1].Shape()) || out.NumElements() != 2*in[0].NumElements() {
			return fmt.Errorf("cuda: add_rms_norm wants x and r of one shape, a 1-D weight of dtype %v and a [2, ...] output", dt)
		}
		dim, n := in[2].Shape()[0], in[0].NumElements()
		if dim == 0 || n == 0 {
			return nil
		}
		args := (&kargs{}).ptr(dataPtr(in[0])).ptr(dataPtr(in[1])).ptr(dataPtr(in[2])).ptr(dataPtr(out)).
			i64(dim).i64(n).f64(op.Param)
		return d.launch("transformer", dt, name, n/dim, blockFor(dim), args)
	case "rope_cache":
		a, ok := op.Attrs.(core.RoPECacheAttrs)
		if len(in) != 6 || !ok || in[1].DType() != core.F32 || in[2].DType() != core.F32 || in[3].DType() != core.I32 ||
			in[0].DType() != dt || in[4].DType() != dt || in[5].DType() != dt || in[4].Rank() != 3 || in[0].Rank() != 2 {
			return fmt.Errorf("cuda: rope_cache takes qkv, F32 tables, an I32 position and two caches of dtype %v", dt)
		}
		ks := in[4].Shape()
		t, half := in[0].Shape()[0], ks[2]/2
		total := t * (a.Heads + 2*ks[1]) * half
		if total == 0 {
			return nil
		}
		args := (&kargs{}).ptr(dataPtr(in[0])).ptr(dataPtr(in[1])).ptr(dataPtr(in[2])).ptr(dataPtr(in[3])).
			ptr(dataPtr(in[4])).ptr(dataPtr(in[5])).ptr(dataPtr(out)).
			i64(t).i64(a.Heads).i64(ks[1]).i64(half).i64(ks[0])
		return d.launch("transformer", dt, name, d.gridFor(int64(total)), gridBlock, args)
	case "rope":
		if len(in) != 3 || in[0].Rank() < 3 || in[1].DType() != core.F32 || in[2].DType() != core.F32 {
			return fmt.Errorf("cuda: rope wants x [..., T, H, D] and F32 tables")
		}
		s := in[0].Shape()
		r := len(s)
		t, h, half := s[r-3], s[r-2], s[r-1]/2
		if half == 0 || in[0].NumElements() == 0 {
			return nil
		}
		n := in[0].NumElements() / (2 * half)
		args := (&kargs{}).ptr(dataPtr(in[0])).ptr(dataPtr(in[1])).ptr(dataPtr(in[2])).ptr(dataPtr(out)).
			i64(n).i64(t).i64(h).i64(half)
		return d.launch("transformer", dt, name, d.gridFor(int64(n*half)), gridBlock, args)
	case "causal_attention":
		if len(in) != 3 {
			return fmt.Errorf("cuda: causal_attention takes q, k and v")
		}
		qs, ks := in[0].Shape(), in[1].Shape()
		r := len(qs)
		tq, hq, hd := qs[r-3], qs[r-2], qs[r-1]
		tk, hkv := ks[r-3], ks[r-2]
		if hd > attentionMaxHead {
			return unsupported(op, "head size %d > %d", hd, attentionMaxHead)
		}
		if in[0].NumElements() == 0 {
			return nil
		}
		rows := in[0].NumElements() / hd
		p := op.Attention()
		if warpAttention(tq, hd) {
			args := (&kargs{}).ptr(dataPtr(in[0])).ptr(dataPtr(in[1])).ptr(dataPtr(in[2])).ptr(dataPtr(out)).
				i64(rows).i64(tq).i64(hq).i64(tk).i64(hkv).i64(hd).f64(p.Scale).i64(p.Window).f64(p.SoftCap)
			return d.launch("transformer", dt, "causal_attention_warp_"+suffix(dt), warpGrid(rows), attentionBlock, args)
		}
		args := (&kargs{}).ptr(dataPtr(in[0])).ptr(dataPtr(in[1])).ptr(dataPtr(in[2])).ptr(dataPtr(out)).
			i64(tq).i64(hq).i64(tk).i64(hkv).i64(hd).f64(p.Scale).i64(p.Window).f64(p.SoftCap)
		return d.launch("transformer", dt, name, rows, attentionBlock, args)
	case "cached_attention":
		if len(in) != 4 || in[0].Rank() != 3 || in[1].Rank() != 3 || in[3].DType() != core.I32 {
			return fmt.Errorf("cuda: cached_attention takes q [T, H, D], k and v caches and an I32 position")
		}
		qs, ks := in[0].Shape(), in[1].Shape()
		if qs[2] > attentionMaxHead {
			return unsupported(op, "head size %d > %d", qs[2], attentionMaxHead)
		}
		if in[0].NumElements() == 0 {
			return nil
		}
		p := op.Attention()
		args := (&kargs{}).ptr(dataPtr(in[0])).ptr(dataPtr(in[1])).ptr(dataPtr(in[2])).ptr(dataPtr(in[3])).ptr(dataPtr(out)).
			i64(qs[0]).i64(qs[1]).i64(ks[0]).i64(ks[1]).i64(qs[2]).f64(p.Scale).i64(p.Window).f64(p.SoftCap)
		if warpAttention(qs[0], qs[2]) {
			return d.launch("transformer", dt, "cached_attention_warp_"+suffix(dt), warpGrid(qs[0]*qs[1]), attentionBlock, args)
		}
		if vecAttention(dt, qs[2], in[0], in[1], in[2], out) {
			return d.launch("transformer", dt, "cached_attention_vec_"+suffix(dt), qs[0]*qs[1], vecAttentionThreads, args)
		}
		return d.launch("transformer", dt, name, qs[0]*qs[1], attentionBlock, args)
	case "paged_attention":
		if len(in) != 5 || in[0].Rank() != 3 || in[1].Rank() != 4 || in[3].DType() != core.I32 || in[4].DType() != core.I32 {
			return fmt.Errorf("cuda: paged_attention takes q [B, H, D], k and v blocks [NB, BS, H, D], an I32 table and I32 positions")
		}
		qs, ks := in[0].Shape(), in[1].Shape()
		if qs[2] > attentionMaxHead {
			return unsupported(op, "head size %d > %d", qs[2], attentionMaxHead)
		}
		if in[0].NumElements() == 0 {
			return nil
		}
		p := op.Attention()
		args := (&kargs{}).ptr(dataPtr(in[0])).ptr(dataPtr(in[1])).ptr(dataPtr(in[2])).ptr(dataPtr(in[3])).ptr(dataPtr(in[4])).
			ptr(dataPtr(out)).i64(qs[1]).i64(ks[2]).i64(qs[2]).i64(ks[0]).i64(ks[1]).i64(in[3].Shape()[1]).
			f64(p.Scale).i64(p.Window).f64(p.SoftCap)
		if vecAttention(dt, qs[2], in[0], in[1], in[2], out) {
			return d.launch("transformer", dt, "paged_attention_vec_"+suffix(dt), qs[0]*qs[1], vecAttentionThreads, args)
		}
		return d.launch("transformer", dt, name, qs[0]*qs[1], attentionBlock, args)
	case "scatter_rows", "write_rows":
		// Both write rows of src into dst, addressed by I32 device data
		// (a row index per source row, or one position for them all),
		// and take the same arguments.
		if len(in) != 2 || in[0].DType() != dt || in[1].DType() != core.I32 || out.Rank() < 1 {
			what := map[string]string{"scatter_rows": "I32 row indices", "write_rows": "an I32 position"}[op.Name]
			return fmt.Errorf("cuda: %s takes rows of the destination's dtype and %s", op.Name, what)
		}
		capRows, t := out.Shape()[0], in[0].Shape()[0]
		if in[0].NumElements() == 0 || capRows == 0 {
			return nil
		}
		row := out.NumElements() / capRows
		args := (&kargs{}).ptr(dataPtr(in[0])).ptr(dataPtr(in[1])).ptr(dataPtr(out)).i64(row).i64(t).i64(capRows)
		return d.launch("transformer", dt, name, d.gridFor(int64(t*row)), gridBlock, args)
	}
	return unsupported(op, "no CUDA kernel")
}

// siluMul launches the fused silu(g) * u (kernels/fused.cu).
func (d *Device) siluMul(op *core.Op) error {
	in, out := op.Inputs, op.Out
	if len(in) != 2 || !in[0].IsContiguous() || !in[1].IsContiguous() || in[0].DType() != out.DType() || in[1].DType() != out.DType() {
		return unsupported(op, "want two contiguous inputs of the output's dtype")
	}
	if !out.DType().IsFloat() {
		return unsupported(op, "dtype %v", out.DType())
	}
	n := out.NumElements()
	if n == 0 {
		return nil
	}
	args := (&kargs{}).ptr(dataPtr(in[0])).ptr(dataPtr(in[1])).ptr(dataPtr(out)).i64(n)
	return d.launch("fused", out.DType(), "silu_mul_"+suffix(out.DType()), d.gridFor(int64(n)), gridBlock, args)
}
