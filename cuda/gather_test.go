package cuda

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
)

// The row gather matches core's CPU gather bit for bit (it copies) for
// every float dtype, on row widths and counts that leave partial blocks
// (1, 7, 257, 2049 values), one row, repeated and first/last indices; an
// out-of-range index gives a zero row; other layouts are unsupported.
func TestGatherRowsMatchesCPU(t *testing.T) {
	d := gpu(t)
	defer core.SetStrict(core.SetStrict(true))
	before := core.Fallbacks()
	r := rand.New(rand.NewPCG(3, 4))
	for _, dt := range []core.DType{core.F32, core.F64, core.F16, core.BF16} {
		for _, c := range []struct{ n, row int }{{1, 1}, {5, 7}, {33, 257}, {300, 2049}} {
			for _, ids := range [][]float64{{0}, {float64(c.n - 1)}, {0, float64(c.n - 1), 0}, random(r, 9, 0, float64(c.n-1), true)} {
				name := fmt.Sprintf("%v/%dx%d/%d", dt, c.n, c.row, len(ids))
				x := hostArray(t, dt, core.Shape{c.n, c.row}, random(r, c.n*c.row, -3, 3, false))
				idx := hostArray(t, core.I32, core.Shape{len(ids)}, ids)
				want := cpuRef(t, "gather", []*core.Array{x, idx}, dt, core.Shape{len(ids), c.row}, []int{0}, 0)
				gx, err := x.To(d)
				require.NoError(t, err)
				gi, err := idx.To(d)
				require.NoError(t, err)
				got := runOn(t, d, "gather", dt, core.Shape{len(ids), c.row}, []int{0}, 0, gx, gi)
				require.Equal(t, want, got, name)
			}
		}
	}
	require.Equal(t, before, core.Fallbacks())

	// Through the op function, in strict mode: no fallback.
	x := hostArray(t, core.F32, core.Shape{4, 3}, []float64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11})
	gx, err := x.To(d)
	require.NoError(t, err)
	gi, err := hostArray(t, core.I32, core.Shape{2}, []float64{3, 1}).To(d)
	require.NoError(t, err)
	y, err := core.GatherOp(gx, 0, gi)
	require.NoError(t, err)
	require.Equal(t, []float64{9, 10, 11, 3, 4, 5}, values(t, y))

	// An index outside the table yields zeros (the kernel cannot fail).
	bad, err := hostArray(t, core.I32, core.Shape{2}, []float64{4, -1}).To(d)
	require.NoError(t, err)
	require.Equal(t, make([]float64, 6), runOn(t, d, "gather", core.F32, core.Shape{2, 3}, []int{0}, 0, gx, bad))

	// Empty indices write nothing and do not fail.
	none, err := core.Empty(d, core.I32, core.Shape{0})
	require.NoError(t, err)
	require.Empty(t, runOn(t, d, "gather", core.F32, core.Shape{0, 3}, []int{0}, 0, gx, none))

	// Axis 1 and I64 indices are unsupported, not wrong.
	out, err := core.Empty(d, core.F32, core.Shape{4, 2})
	require.NoError(t, err)
	require.ErrorIs(t, d.Execute(&core.Op{Name: "gather", Inputs: []*core.Array{gx, gi}, Out: out, Axes: []int{1}}), core.ErrUnsupported)
	i64, err := hostArray(t, core.I64, core.Shape{2}, []float64{3, 1}).To(d)
	require.NoError(t, err)
	out, err = core.Empty(d, core.F32, core.Shape{2, 3})
	require.NoError(t, err)
	require.ErrorIs(t, d.Execute(&core.Op{Name: "gather", Inputs: []*core.Array{gx, i64}, Out: out, Axes: []int{0}}), core.ErrUnsupported)
}

// A read queued behind work returns the value that work left, not what
// later queued work writes into the same array, and a queued read does
// not wait: many reads of successive values queued back to back each see
// their own.
func TestCopyToHostLaterIsStreamOrdered(t *testing.T) {
	d := gpu(t)
	require.True(t, core.ReadsLater(d))
	defer core.SetStrict(core.SetStrict(true))
	x, err := hostArray(t, core.I32, core.Shape{1}, []float64{0}).To(d)
	require.NoError(t, err)
	one, err := hostArray(t, core.I32, core.Shape{1}, []float64{1}).To(d)
	require.NoError(t, err)
	// Work that takes a while before the first read: a big add.
	big, err := core.Empty(d, core.F32, core.Shape{1 << 22})
	require.NoError(t, err)
	const n = 20
	reads := make([]*core.Read, n)
	for i := range n {
		for range 4 {
			if _, err := core.BinaryOp("add", big, big); err != nil {
				t.Fatal(err)
			}
		}
		require.NoError(t, core.Run(&core.Op{Name: "add", Inputs: []*core.Array{x, one}, Out: x}))
		reads[i], err = core.ReadLater(x)
		require.NoError(t, err)
	}
	for i, r := range reads {
		b, err := r.Wait()
		require.NoError(t, err)
		require.Equal(t, int32(i+1), int32(binary.LittleEndian.Uint32(b)), "read %d", i)
		_, err = r.Wait()
		require.NoError(t, err, "a second Wait returns the same bytes")
	}
	// A read larger than a slot is copied at once.
	wide, err := hostArray(t, core.I32, core.Shape{2000}, make([]float64, 2000)).To(d)
	require.NoError(t, err)
	r, err := core.ReadLater(wide)
	require.NoError(t, err)
	b, err := r.Wait()
	require.NoError(t, err)
	require.Len(t, b, 8000)
}
