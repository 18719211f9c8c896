package metal

import (
	"testing"

	"github.com/lbrx/lbrx/core"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPlanRMSNorm(t *testing.T) {
	x := arr(t, core.F16, 2, 3, 70)
	w := arr(t, core.F16, 70)
	ds, err := planOp(&core.Op{Name: "rms_norm", Inputs: []*core.Array{x, w}, Out: arr(t, core.F16, 2, 3, 70), Param: 1e-5}, false)
	require.NoError(t, err)
	require.Len(t, ds, 1)
	d := ds[0]
	assert.Equal(t, "rms_norm_f16", d.kernel)
	assert.Equal(t, 3, d.paramIdx)
	assert.Equal(t, RMSNormParams{Rows: 6, Cols: 70, Eps: 1e-5}, decode[RMSNormParams](t, d.params))
	require.Len(t, d.bufs, 3)
	assert.Equal(t, []int{0, 1, 2}, []int{d.bufs[0].index, d.bufs[1].index, d.bufs[2].index})
	assert.True(t, d.bufs[2].write)
	l, err := d.launch(1024, 32)
	require.NoError(t, err)
	// One threadgroup per row, as wide as a 70-element row needs.
	assert.Equal(t, Launch{Groups: Size{6, 1, 1}, Threads: Size{96, 1, 1}, ThreadgroupMem: ReduceThreadgroupMem}, l)

	// No f64 kernel, non-contiguous x: the CPU runs it.
	_, err = planOp(&core.Op{Name: "rms_norm", Inputs: []*core.Array{arr(t, core.F64, 2, 4), arr(t, core.F64, 4)}, Out: arr(t, core.F64, 2, 4)}, false)
	require.ErrorIs(t, err, core.ErrUnsupported)
	xt, err := arr(t, core.F32, 4, 2).T()
	require.NoError(t, err)
	_, err = planOp(&core.Op{Name: "rms_norm", Inputs: []*core.Array{xt, arr(t, core.F32, 4)}, Out: arr(t, core.F32, 2, 4)}, false)
	require.ErrorIs(t, err, core.ErrUnsupported)
	// A weight that does not match is a malformed op, not a fallback.
	_, err = planOp(&core.Op{Name: "rms_norm", Inputs: []*core.Array{x, arr(t, core.F16, 69)}, Out: arr(t, core.F16, 2, 3, 70)}, false)
	require.Error(t, err)
	require.NotErrorIs(t, err, core.ErrUnsupported)
	// Empty input: nothing to dispatch.
	ds, err = planOp(&core.Op{Name: "rms_norm", Inputs: []*core.Array{arr(t, core.F32, 0, 8), arr(t, core.F32, 8)}, Out: arr(t, core.F32, 0, 8)}, false)
	require.NoError(t, err)
	assert.Empty(t, ds)
}

func TestPlanRoPE(t *testing.T) {
	x := arr(t, core.BF16, 2, 5, 3, 10)
	cs, sn := arr(t, core.F32, 5, 5), arr(t, core.F32, 5, 5)
	ds, err := planOp(&core.Op{Name: "rope", Inputs: []*core.Array{x, cs, sn}, Out: arr(t, core.BF16, 2, 5, 3, 10)}, false)
	require.NoError(t, err)
	require.Len(t, ds, 1)
	assert.Equal(t, "rope_bf16", ds[0].kernel)
	assert.Equal(t, 4, ds[0].paramIdx)
	assert.Equal(t, RoPEParams{Pairs: 150, HalfDim: 5, Heads: 3, Positions: 5}, decode[RoPEParams](t, ds[0].params))
	require.Len(t, ds[0].bufs, 4)
	assert.True(t, ds[0].bufs[3].write)
	l, err := ds[0].launch(1024, 32)
	require.NoError(t, err)
	assert.Equal(t, ElementwiseLaunch(150, DefaultThreads), l)

	// Tables must be F32 [T, D/2].
	_, err = planOp(&core.Op{Name: "rope", Inputs: []*core.Array{x, arr(t, core.BF16, 5, 5), sn}, Out: arr(t, core.BF16, 2, 5, 3, 10)}, false)
	require.Error(t, err)
	require.NotErrorIs(t, err, core.ErrUnsupported)
	_, err = planOp(&core.Op{Name: "rope", Inputs: []*core.Array{x, arr(t, core.F32, 5, 4), sn}, Out: arr(t, core.BF16, 2, 5, 3, 10)}, false)
	require.Error(t, err)
}

func TestPlanCausalAttention(t *testing.T) {
	// Decode: one query of 8 heads against 40 cached positions of 2 heads.
	q := arr(t, core.F32, 1, 1, 8, 64)
	k, v := arr(t, core.F32, 1, 40, 2, 64), arr(t, core.F32, 1, 40, 2, 64)
	ds, err := planOp(&core.Op{Name: "causal_attention", Inputs: []*core.Array{q, k, v}, Out: arr(t, core.F32, 1, 1, 8, 64), Param: 0.125}, false)
	require.NoError(t, err)
	require.Len(t, ds, 1)
	assert.Equal(t, "causal_attention_f32", ds[0].kernel)
	assert.Equal(t, AttentionParams{Rows: 8, Tq: 1, Hq: 8, Tk: 40, Hkv: 2, D: 64, Scale: 0.125}, decode[AttentionParams](t, ds[0].params))
	l, err := ds[0].launch(1024, 32)
	require.NoError(t, err)
	// Threadgroup memory: q (64) + scores (1024) + scratch (32) + 4 partial rows (256) floats.
	assert.Equal(t, Launch{Groups: Size{8, 1, 1}, Threads: Size{AttentionThreads, 1, 1}, ThreadgroupMem: 1376 * 4}, l)
	require.NoError(t, checkLaunch(l, 1024))

	// Head sizes beyond the kernel's accumulators run on the CPU.
	big := arr(t, core.F16, 1, 2, 2, 520)
	_, err = planOp(&core.Op{Name: "causal_attention", Inputs: []*core.Array{big, big, big}, Out: arr(t, core.F16, 1, 2, 2, 520), Param: 1}, false)
	require.ErrorIs(t, err, core.ErrUnsupported)
	// More queries than keys, or heads that do not divide: malformed.
	_, err = planOp(&core.Op{Name: "causal_attention", Inputs: []*core.Array{arr(t, core.F32, 3, 2, 4), arr(t, core.F32, 2, 2, 4), arr(t, core.F32, 2, 2, 4)}, Out: arr(t, core.F32, 3, 2, 4), Param: 1}, false)
	require.Error(t, err)
	require.NotErrorIs(t, err, core.ErrUnsupported)
	_, err = planOp(&core.Op{Name: "causal_attention", Inputs: []*core.Array{arr(t, core.F32, 2, 3, 4), arr(t, core.F32, 2, 2, 4), arr(t, core.F32, 2, 2, 4)}, Out: arr(t, core.F32, 2, 3, 4), Param: 1}, false)
	require.Error(t, err)
	// No queries: nothing to dispatch.
	ds, err = planOp(&core.Op{Name: "causal_attention", Inputs: []*core.Array{arr(t, core.F32, 0, 2, 4), arr(t, core.F32, 5, 1, 4), arr(t, core.F32, 5, 1, 4)}, Out: arr(t, core.F32, 0, 2, 4), Param: 1}, false)
	require.NoError(t, err)
	assert.Empty(t, ds)
}

func TestAttentionThreads(t *testing.T) {
	w, err := attentionThreads(32, 1024)
	require.NoError(t, err)
	assert.Equal(t, AttentionThreads, w)
	w, err = attentionThreads(32, 0)
	require.NoError(t, err)
	assert.Equal(t, AttentionThreads, w)
	// A pipeline limited to 100 threads runs 3 simdgroups.
	w, err = attentionThreads(32, 100)
	require.NoError(t, err)
	assert.Equal(t, 96, w)
	_, err = attentionThreads(32, 16)
	require.ErrorIs(t, err, core.ErrUnsupported)
	_, err = attentionThreads(64, 1024)
	require.ErrorIs(t, err, core.ErrUnsupported)
	// The largest head at the default width fits Metal's 32 KiB.
	assert.LessOrEqual(t, AttentionThreadgroupMem(AttentionMaxHead, AttentionThreads), 32<<10)
	assert.Zero(t, AttentionThreadgroupMem(33, 96)%16)
}

func TestPlanConcat(t *testing.T) {
	// A KV cache [T, H, D] growing by one position: one copy per input.
	cache, step := arr(t, core.BF16, 7, 2, 8), arr(t, core.BF16, 1, 2, 8)
	out := arr(t, core.BF16, 8, 2, 8)
	ds, err := planOp(&core.Op{Name: "concat", Inputs: []*core.Array{cache, step}, Out: out, Axes: []int{0}}, false)
	require.NoError(t, err)
	require.Len(t, ds, 2)
	for _, d := range ds {
		assert.Equal(t, "concat_x16", d.kernel)
		assert.Equal(t, 2, d.paramIdx)
		assert.True(t, d.bufs[1].write)
	}
	p0, p1 := decode[ConcatParams](t, ds[0].params), decode[ConcatParams](t, ds[1].params)
	assert.Equal(t, uint32(112), p0.N)
	assert.Equal(t, uint32(1), p0.Rank) // merged into one run
	assert.Equal(t, uint32(112), p0.Block)
	assert.Zero(t, p0.DstOffset)
	assert.Equal(t, uint32(16), p1.N)
	assert.Equal(t, uint32(112), p1.DstOffset)
	assert.Equal(t, uint32(128), p1.DstStride)

	// A middle axis of a transposed view; an empty input is skipped.
	a, err := arr(t, core.F32, 4, 3).T() // [3, 4], strides (1, 3)
	require.NoError(t, err)
	ds, err = planOp(&core.Op{Name: "concat", Inputs: []*core.Array{a, arr(t, core.F32, 3, 0), arr(t, core.F32, 3, 2)},
		Out: arr(t, core.F32, 3, 6), Axes: []int{1}}, false)
	require.NoError(t, err)
	require.Len(t, ds, 2)
	p0, p1 = decode[ConcatParams](t, ds[0].params), decode[ConcatParams](t, ds[1].params)
	assert.Equal(t, uint32(2), p0.Rank)
	assert.Equal(t, [MaxRank]uint32{3, 4}, p0.Shape)
	assert.Equal(t, [MaxRank]int32{1, 3}, p0.Strides)
	assert.Equal(t, ConcatParams{N: 12, Rank: 2, Block: 4, DstStride: 6, Shape: p0.Shape, Strides: p0.Strides}, p0)
	assert.Equal(t, uint32(4), p1.DstOffset)
	assert.Equal(t, uint32(2), p1.Block)
	assert.Equal(t, uint32(6), p1.DstStride)

	// Every element size has a kernel; shapes that do not add up are errors.
	for dt, k := range map[core.DType]string{core.Bool: "concat_x8", core.I64: "concat_x64", core.F64: "concat_x64", core.I32: "concat_x32"} {
		ds, err := planOp(&core.Op{Name: "concat", Inputs: []*core.Array{arr(t, dt, 2), arr(t, dt, 3)}, Out: arr(t, dt, 5), Axes: []int{0}}, false)
		require.NoError(t, err)
		assert.Equal(t, k, ds[0].kernel)
	}
	_, err = planOp(&core.Op{Name: "concat", Inputs: []*core.Array{arr(t, core.F32, 2), arr(t, core.F32, 3)}, Out: arr(t, core.F32, 6), Axes: []int{0}}, false)
	require.Error(t, err)
	require.NotErrorIs(t, err, core.ErrUnsupported)
	_, err = planOp(&core.Op{Name: "concat", Inputs: []*core.Array{arr(t, core.F32, 2, 2), arr(t, core.F32, 2, 3)}, Out: arr(t, core.F32, 4, 3), Axes: []int{0}}, false)
	require.Error(t, err)
	// All inputs empty: nothing to dispatch.
	ds, err = planOp(&core.Op{Name: "concat", Inputs: []*core.Array{arr(t, core.F32, 0, 3), arr(t, core.F32, 0, 3)}, Out: arr(t, core.F32, 0, 3), Axes: []int{0}}, false)
	require.NoError(t, err)
	assert.Empty(t, ds)
}
