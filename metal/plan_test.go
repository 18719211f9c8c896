package metal

import (
	"testing"
	"unsafe"

	"github.com/lbrx/lbrx/core"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func arr(t *testing.T, dt core.DType, shape ...int) *core.Array {
	t.Helper()
	a, err := core.Empty(core.CPU(), dt, core.Shape(shape))
	require.NoError(t, err)
	return a
}

func decode[P any](t *testing.T, b []byte) P {
	t.Helper()
	var p P
	require.Len(t, b, int(unsafe.Sizeof(p)))
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&p)), len(b)), b)
	return p
}

func TestPlanBinaryBroadcast(t *testing.T) {
	a := arr(t, core.F32, 2, 3)
	b0 := arr(t, core.F32, 3)
	b, err := b0.BroadcastTo(core.Shape{2, 3})
	require.NoError(t, err)
	out := arr(t, core.F32, 2, 3)
	ds, err := planOp(&core.Op{Name: "add", Inputs: []*core.Array{a, b}, Out: out}, false)
	require.NoError(t, err)
	require.Len(t, ds, 1)
	d := ds[0]
	assert.Equal(t, "binary_add_f32", d.kernel)
	assert.Equal(t, 3, d.paramIdx)
	p := decode[BinaryParams](t, d.params)
	assert.Equal(t, uint32(6), p.N)
	assert.Equal(t, uint32(2), p.Rank)
	assert.Equal(t, [MaxRank]uint32{2, 3}, p.Shape)
	assert.Equal(t, [MaxRank]int32{3, 1}, p.AStrides)
	assert.Equal(t, [MaxRank]int32{0, 1}, p.BStrides)
	require.Len(t, d.bufs, 3)
	assert.Equal(t, []int{0, 1, 2}, []int{d.bufs[0].index, d.bufs[1].index, d.bufs[2].index})
	assert.True(t, d.bufs[2].write)
	l, err := d.launch(1024, 32)
	require.NoError(t, err)
	assert.Equal(t, Size{1, 1, 1}, l.Groups)
	assert.Equal(t, Size{256, 1, 1}, l.Threads)
}

func TestPlanUnaryOnSlicedView(t *testing.T) {
	base := arr(t, core.F16, 4, 6)
	v, err := base.Slice(1, 2, 6, 2) // columns 2 and 4 of every row
	require.NoError(t, err)
	out := arr(t, core.F16, 4, 2)
	ds, err := planOp(&core.Op{Name: "exp", Inputs: []*core.Array{v}, Out: out}, false)
	require.NoError(t, err)
	require.Len(t, ds, 1)
	assert.Equal(t, "unary_exp_f16", ds[0].kernel)
	p := decode[UnaryParams](t, ds[0].params)
	assert.Equal(t, uint32(8), p.N)
	assert.Equal(t, [MaxRank]int32{6, 2}, p.Strides)
	// The buffer binds at the first touched element (byte 4) and the
	// kernel's offset counts from there.
	assert.Equal(t, 2*2, ds[0].bufs[0].byteOff)
	assert.Equal(t, uint32(0), p.Offset)
}

func TestPlanCastAndUnsupported(t *testing.T) {
	in := arr(t, core.F32, 5)
	ds, err := planOp(&core.Op{Name: "cast", Inputs: []*core.Array{in}, Out: arr(t, core.BF16, 5)}, false)
	require.NoError(t, err)
	assert.Equal(t, "cast_f32_bf16", ds[0].kernel)

	for _, op := range []*core.Op{
		{Name: "cast", Inputs: []*core.Array{in}, Out: arr(t, core.I32, 5)},
		{Name: "add", Inputs: []*core.Array{arr(t, core.I32, 5), arr(t, core.I32, 5)}, Out: arr(t, core.I32, 5)},
		{Name: "argmax", Inputs: []*core.Array{in}, Out: arr(t, core.I64)},
		{Name: "copy", Inputs: []*core.Array{in}, Out: arr(t, core.F32, 5)},
	} {
		_, err := planOp(op, false)
		require.ErrorIs(t, err, core.ErrUnsupported, op.Name)
	}
	// Malformed ops are errors, not fallbacks.
	_, err = planOp(&core.Op{Name: "add", Inputs: []*core.Array{in}, Out: arr(t, core.F32, 5)}, false)
	require.Error(t, err)
	require.NotErrorIs(t, err, core.ErrUnsupported)
}

func TestPlanEmptyDispatchesNothing(t *testing.T) {
	a := arr(t, core.F32, 0, 3)
	ds, err := planOp(&core.Op{Name: "neg", Inputs: []*core.Array{a}, Out: arr(t, core.F32, 0, 3)}, false)
	require.NoError(t, err)
	assert.Empty(t, ds)
	ds, err = planOp(&core.Op{Name: "matmul", Inputs: []*core.Array{arr(t, core.F32, 0, 4), arr(t, core.F32, 4, 2)}, Out: arr(t, core.F32, 0, 2)}, true)
	require.NoError(t, err)
	assert.Empty(t, ds)
}

func TestPlanReduce(t *testing.T) {
	in := arr(t, core.F32, 3, 7)
	ds, err := planOp(&core.Op{Name: "sum", Inputs: []*core.Array{in}, Out: arr(t, core.F32, 3), Axes: []int{1}}, false)
	require.NoError(t, err)
	require.Len(t, ds, 1)
	assert.Equal(t, "reduce_sum_f32", ds[0].kernel)
	p := decode[ReduceParams](t, ds[0].params)
	assert.Equal(t, ReduceParams{Rows: 3, Cols: 7, RowStride: 7}, p)
	l, err := ds[0].launch(1024, 32)
	require.NoError(t, err)
	assert.Equal(t, Launch{Groups: Size{3, 1, 1}, Threads: Size{32, 1, 1}, ThreadgroupMem: ReduceThreadgroupMem}, l)

	// mean over the leading axis is not a trailing reduction.
	_, err = planOp(&core.Op{Name: "mean", Inputs: []*core.Array{in}, Out: arr(t, core.F32, 7), Axes: []int{0}}, false)
	require.ErrorIs(t, err, core.ErrUnsupported)

	for _, name := range []string{"softmax", "log_softmax"} {
		ds, err = planOp(&core.Op{Name: name, Inputs: []*core.Array{in}, Out: arr(t, core.F32, 3, 7), Axes: []int{1}}, false)
		require.NoError(t, err, name)
		assert.Equal(t, name+"_f32", ds[0].kernel)
		assert.Equal(t, ReduceParams{Rows: 3, Cols: 7, RowStride: 7}, decode[ReduceParams](t, ds[0].params))
	}
}

func TestPlanMatmulTransposed(t *testing.T) {
	a := arr(t, core.F32, 5, 3)
	bt := arr(t, core.F32, 4, 3)
	b, err := bt.T() // [3,4] view with strides (1,3)
	require.NoError(t, err)
	ds, err := planOp(&core.Op{Name: "matmul", Inputs: []*core.Array{a, b}, Out: arr(t, core.F32, 5, 4)}, true)
	require.NoError(t, err)
	require.Len(t, ds, 1)
	assert.Equal(t, "matmul_simd_f32", ds[0].kernel)
	p := decode[MatmulParams](t, ds[0].params)
	assert.Equal(t, uint32(5), p.M)
	assert.Equal(t, uint32(4), p.N)
	assert.Equal(t, uint32(3), p.K)
	assert.Equal(t, TransB, p.Flags)
	assert.Equal(t, uint32(3), p.LDA)
	assert.Equal(t, uint32(3), p.LDB)
	assert.Equal(t, uint32(4), p.LDC)
	l, err := ds[0].launch(0, 0)
	require.NoError(t, err)
	assert.Equal(t, Launch{Groups: Size{1, 1, 1}, Threads: Size{128, 1, 1}, ThreadgroupMem: MatmulSimdThreadgroupMem}, l)
}

func TestPlanMatmulBatched(t *testing.T) {
	// [2,3,4] x [4,5] broadcast over the batch: one dispatch, B batch stride 0.
	a := arr(t, core.BF16, 2, 3, 4)
	b2 := arr(t, core.BF16, 4, 5)
	b, err := b2.BroadcastTo(core.Shape{2, 4, 5})
	require.NoError(t, err)
	ds, err := planOp(&core.Op{Name: "matmul", Inputs: []*core.Array{a, b}, Out: arr(t, core.BF16, 2, 3, 5)}, false)
	require.NoError(t, err)
	require.Len(t, ds, 1)
	assert.Equal(t, "matmul_bf16", ds[0].kernel)
	p := decode[MatmulParams](t, ds[0].params)
	assert.Equal(t, uint32(2), p.Batch)
	assert.Equal(t, uint32(12), p.ABatchStride)
	assert.Zero(t, p.BBatchStride)
	assert.Equal(t, uint32(15), p.CBatchStride)

	// A batch that does not step uniformly ([2,3] batch taken from a
	// [2,4] allocation) becomes one dispatch per entry.
	big := arr(t, core.F32, 2, 4, 2, 2)
	av, err := big.Slice(1, 0, 3, 1)
	require.NoError(t, err)
	bb := arr(t, core.F32, 2, 2)
	ds, err = planOp(&core.Op{Name: "matmul", Inputs: []*core.Array{av, bb}, Out: arr(t, core.F32, 2, 3, 2, 2)}, false)
	require.NoError(t, err)
	require.Len(t, ds, 6)
	// Entry (1,0) of A starts at element 16 of the allocation.
	assert.Equal(t, 16*4, ds[3].bufs[0].byteOff)
	assert.Equal(t, 3*4*4, ds[3].bufs[2].byteOff)
}
