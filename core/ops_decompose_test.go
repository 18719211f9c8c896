package core

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// partialDevice is a fakeDevice with an Executor that runs every op but
// the cache and fused ones (through the CPU kernels on copies, without
// counting them as fallbacks), as a backend older than those ops does.
type partialDevice struct {
	fakeDevice
	ran map[string]int
}

var errNoKernel = fmt.Errorf("partial: %w", ErrUnsupported)

// partialStorage is a fakeStorage that names the partialDevice as its
// device (ops find their device, and its Executor, through storage).
type partialStorage struct {
	fakeStorage
	owner *partialDevice
}

func (s *partialStorage) Device() Device { return s.owner }

func (d *partialDevice) wrap(s Storage, err error) (Storage, error) {
	if err != nil {
		return nil, err
	}
	return &partialStorage{fakeStorage: *s.(*fakeStorage), owner: d}, nil
}

func (d *partialDevice) Alloc(n int) (Storage, error) { return d.wrap(d.fakeDevice.Alloc(n)) }

func (d *partialDevice) AllocOutput(n int) (Storage, error) {
	return d.wrap(d.fakeDevice.AllocOutput(n))
}

func (d *partialDevice) CopyFromHost(dst Storage, off int, src []byte) error {
	return d.fakeDevice.CopyFromHost(&dst.(*partialStorage).fakeStorage, off, src)
}

func (d *partialDevice) CopyToHost(dst []byte, src Storage, off int) error {
	return d.fakeDevice.CopyToHost(dst, &src.(*partialStorage).fakeStorage, off)
}

func (d *partialDevice) Execute(op *Op) error {
	switch op.Name {
	case "write_rows", "cached_attention", "silu_mul", "add_rms_norm", "rope_cache", "silu_mul_matmul", "scatter_rows", "paged_attention":
		return errNoKernel
	}
	d.ran[op.Name]++
	host := &Op{Name: op.Name, Axes: op.Axes, Param: op.Param, Params: op.Params, Attrs: op.Attrs}
	for _, a := range op.Inputs {
		h, err := a.To(CPU())
		if err != nil {
			return err
		}
		host.Inputs = append(host.Inputs, h)
	}
	out, err := Empty(CPU(), op.Out.dtype, op.Out.shape)
	if err != nil {
		return err
	}
	host.Out = out
	if err := runCPU(host); err != nil {
		return err
	}
	return d.CopyFromHost(op.Out.storage, op.Out.offset*op.Out.dtype.Size(), out.storage.(HostStorage).Bytes())
}

// On a device without the cache and fused kernels, write_rows,
// cached_attention and silu_mul run as copies, causal_attention, silu and
// mul on that device (no CPU fallback) and equal the CPU's results.
func TestDecomposedCacheAndFusedOps(t *testing.T) {
	dev := &partialDevice{fakeDevice: fakeDevice{name: "partial"}, ran: map[string]int{}}
	r := rand.New(rand.NewPCG(19, 20))
	to := func(a *Array) *Array {
		d, err := a.To(dev)
		require.NoError(t, err)
		return d
	}
	const c, hq, hkv, d = 6, 4, 2, 8
	kh, err := Zeros[float32](c, hkv, d)
	require.NoError(t, err)
	vh, err := Zeros[float32](c, hkv, d)
	require.NoError(t, err)
	kd, vd := to(kh.Array()), to(vh.Array())
	before := Fallbacks()
	for p := range 3 {
		kv, err := FromSlice(randValues[float32](r, 2*hkv*d, -1, 1), 2, hkv, d)
		require.NoError(t, err)
		q, err := FromSlice(randValues[float32](r, 2*hq*d, -1, 1), 2, hq, d)
		require.NoError(t, err)
		pos := posArray(t, 2*p)
		require.NoError(t, WriteRowsOp(kh.Array(), kv.Array(), pos))
		require.NoError(t, WriteRowsOp(vh.Array(), kv.Array(), pos))
		require.NoError(t, WriteRowsOp(kd, to(kv.Array()), to(pos)))
		require.NoError(t, WriteRowsOp(vd, to(kv.Array()), to(pos)))
		assert.Equal(t, arrayF32(t, kh.Array()), arrayF32(t, kd), "cache after position %d", 2*p)
		want, err := CachedAttentionOp(q.Array(), kh.Array(), vh.Array(), pos, AttentionParams{Scale: 0.4, Window: 3, SoftCap: 1.5})
		require.NoError(t, err)
		got, err := CachedAttentionOp(to(q.Array()), kd, vd, to(pos), AttentionParams{Scale: 0.4, Window: 3, SoftCap: 1.5})
		require.NoError(t, err)
		assert.Equal(t, arrayF32(t, want), arrayF32(t, got), "attention at position %d", 2*p)
	}
	g, err := FromSlice(randValues[float32](r, 30, -4, 4), 5, 6)
	require.NoError(t, err)
	u, err := FromSlice(randValues[float32](r, 30, -2, 2), 5, 6)
	require.NoError(t, err)
	want, err := SiLUMulOp(g.Array(), u.Array())
	require.NoError(t, err)
	got, err := SiLUMulOp(to(g.Array()), to(u.Array()))
	require.NoError(t, err)
	assertClose(t, asF64(arrayF32(t, want)), asF64(arrayF32(t, got)), 1e-6, "silu_mul decomposed")

	w, err := FromSlice(randValues[float32](r, 6, 0.5, 1.5), 6)
	require.NoError(t, err)
	ws, wy, err := AddRMSNormOp(g.Array(), u.Array(), w.Array(), 1e-6)
	require.NoError(t, err)
	gs, gy, err := AddRMSNormOp(to(g.Array()), to(u.Array()), to(w.Array()), 1e-6)
	require.NoError(t, err)
	assert.Equal(t, arrayF32(t, ws), arrayF32(t, gs), "add_rms_norm decomposed: sum")
	assert.Equal(t, arrayF32(t, wy), arrayF32(t, gy), "add_rms_norm decomposed: norm")

	qkv, err := FromSlice(randValues[float32](r, 2*(hq+2*hkv)*d, -1, 1), 2, (hq+2*hkv)*d)
	require.NoError(t, err)
	tab, err := FromSlice(randValues[float32](r, d, -1, 1), 2, d/2)
	require.NoError(t, err)
	wq, err := RoPECacheOp(qkv.Array(), tab.Array(), tab.Array(), posArray(t, 3), kh.Array(), vh.Array(), hq)
	require.NoError(t, err)
	gq, err := RoPECacheOp(to(qkv.Array()), to(tab.Array()), to(tab.Array()), to(posArray(t, 3)), kd, vd, hq)
	require.NoError(t, err)
	assert.Equal(t, arrayF32(t, wq), arrayF32(t, gq), "rope_cache decomposed: queries")
	assert.Equal(t, arrayF32(t, kh.Array()), arrayF32(t, kd), "rope_cache decomposed: key cache")
	assert.Equal(t, arrayF32(t, vh.Array()), arrayF32(t, vd), "rope_cache decomposed: value cache")

	w2, err := FromSlice(randValues[float32](r, 3*4, -1, 1), 3, 4)
	require.NoError(t, err)
	wm, err := SiLUMulMatMulOp(g.Array(), w2.Array())
	require.NoError(t, err)
	gm, err := SiLUMulMatMulOp(to(g.Array()), to(w2.Array()))
	require.NoError(t, err)
	assertClose(t, asF64(arrayF32(t, wm)), asF64(arrayF32(t, gm)), 1e-6, "silu_mul_matmul decomposed")

	assert.Equal(t, before, Fallbacks(), "nothing ran on the CPU on the device's behalf")
	for _, op := range []string{"copy", "causal_attention", "silu", "mul", "add", "rms_norm", "rope", "matmul"} {
		assert.Positive(t, dev.ran[op], op)
	}
	// A position past the cache is an error, as on the CPU.
	kv, err := Zeros[float32](2, hkv, d)
	require.NoError(t, err)
	err = WriteRowsOp(kd, to(kv.Array()), to(posArray(t, 5)))
	require.ErrorContains(t, err, "outside")
	// Inside a recording the device cannot decompose (it would read the
	// position back): the recording fails.
	_, err = Record(dev, func() error { return WriteRowsOp(kd, to(kv.Array()), to(posArray(t, 0))) })
	require.ErrorIs(t, err, ErrUnsupported)
}
