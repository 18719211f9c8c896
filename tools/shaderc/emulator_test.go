package main

import (
	"encoding/binary"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/lbrx/lbrx/metal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// emuKernels exercise the emulator itself: simdgroup collectives over
// partial and full simdgroups, shuffles past the end, threadgroup memory
// poison, and the misuse it must report.
const emuKernels = `#include <metal_stdlib>
using namespace metal;

kernel void t_simd(device float* out [[buffer(0)]], uint tid [[thread_position_in_threadgroup]],
                   uint lane [[thread_index_in_simdgroup]], uint sg [[simdgroup_index_in_threadgroup]]) {
    float v = float(tid + 1);
    out[tid * 4 + 0] = simd_sum(v);
    out[tid * 4 + 1] = simd_max(v);
    out[tid * 4 + 2] = simd_shuffle_down(v, 1);
    out[tid * 4 + 3] = simd_shuffle_xor(v, 1);
}

kernel void t_tgpoison(device float* out [[buffer(0)]], threadgroup float* tg [[threadgroup(0)]],
                       uint tid [[thread_position_in_threadgroup]]) {
    out[tid] = tg[tid];
}

kernel void t_early_return(device float* out [[buffer(0)]], uint tid [[thread_position_in_threadgroup]]) {
    if (tid == 3) {
        return;
    }
    threadgroup_barrier(mem_flags::mem_threadgroup);
    out[tid] = 1.0f;
}

kernel void t_divergent(device float* out [[buffer(0)]], uint lane [[thread_index_in_simdgroup]]) {
    float v = 1.0f;
    if (lane < 16) {
        v = simd_sum(v);
    } else {
        v = simd_max(v);
    }
    out[lane] = v;
}

kernel void t_overrun(device float* out [[buffer(0)]], uint i [[thread_position_in_grid]]) {
    out[i + 1] = 1.0f;
}

kernel void t_exchange(device float* out [[buffer(0)]], threadgroup float* tg [[threadgroup(0)]],
                       uint tid [[thread_position_in_threadgroup]], uint n [[threads_per_threadgroup]]) {
    tg[tid] = float(tid);
    threadgroup_barrier(mem_flags::mem_threadgroup);
    out[tid] = tg[n - 1 - tid];
}
`

func floats(b []byte) []float32 {
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v
}

func launch1(groups, threads, tgMem int) metal.Launch {
	return metal.Launch{Groups: metal.Size{X: groups, Y: 1, Z: 1}, Threads: metal.Size{X: threads, Y: 1, Z: 1}, ThreadgroupMem: tgMem}
}

func TestEmulatorSemantics(t *testing.T) {
	if _, err := exec.LookPath("g++"); err != nil {
		t.Skip("g++ not found (Debian package g++): the MSL emulator cannot be built")
	}
	if runtime.GOOS != "linux" {
		t.Skip("the MSL grid emulator is built and verified on Linux (CI)")
	}
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "t.metal"), []byte(emuKernels), 0o600))
	em, err := buildEmulator(dir, "-O0", t.Logf)
	require.NoError(t, err)
	defer em.stop()

	t.Run("collectives over a full and a partial simdgroup", func(t *testing.T) {
		const n = 40 // lanes 0..31 and 32..39
		out, err := em.run("t_simd", launch1(1, n, 0), []buf{{0, poison("f32", 4*n)}})
		require.NoError(t, err)
		v := floats(out[0])
		for tid := range n {
			lo, hi := 0, 32
			if tid >= 32 {
				lo, hi = 32, n
			}
			sum := float32((hi*(hi+1) - lo*(lo+1)) / 2)
			assert.Equal(t, sum, v[tid*4], "simd_sum at %d", tid)
			assert.Equal(t, float32(hi), v[tid*4+1], "simd_max at %d", tid)
			lane := tid - lo
			switch {
			case lane == 31: // past lane 31: keeps its own value
				assert.Equal(t, float32(tid+1), v[tid*4+2])
			case tid+1 < hi: // an active neighbour
				assert.Equal(t, float32(tid+2), v[tid*4+2])
			default: // an inactive lane (39 reads lane 40 of a 8-lane group): undefined, poison
				assert.True(t, math.IsNaN(float64(v[tid*4+2])), "shuffle from an inactive lane at %d gave %v", tid, v[tid*4+2])
			}
			assert.Equal(t, float32(lo+(lane^1)+1), v[tid*4+3], "simd_shuffle_xor at %d", tid)
		}
	})
	t.Run("threadgroup memory starts as poison", func(t *testing.T) {
		out, err := em.run("t_tgpoison", launch1(2, 8, 32), []buf{{0, poison("f32", 8)}})
		require.NoError(t, err)
		for _, x := range floats(out[0]) {
			assert.True(t, math.IsNaN(float64(x)))
		}
	})
	t.Run("threadgroup exchange through a barrier", func(t *testing.T) {
		out, err := em.run("t_exchange", launch1(1, 64, 256), []buf{{0, poison("f32", 64)}})
		require.NoError(t, err)
		for i, x := range floats(out[0]) {
			assert.Equal(t, float32(63-i), x)
		}
	})
	t.Run("barrier skipped by a returned thread", func(t *testing.T) {
		_, err := em.run("t_early_return", launch1(1, 8, 0), []buf{{0, poison("f32", 8)}})
		require.ErrorContains(t, err, "threadgroup_barrier not reached")
	})
	t.Run("lanes at different collectives", func(t *testing.T) {
		_, err := em.run("t_divergent", launch1(1, 32, 0), []buf{{0, poison("f32", 32)}})
		require.ErrorContains(t, err, "divergent simdgroup")
	})
	t.Run("write past the end of a buffer", func(t *testing.T) {
		_, err := em.run("t_overrun", launch1(1, 16, 0), []buf{{0, poison("f32", 16)}})
		require.ErrorContains(t, err, "past the end of buffer(0)")
		// The emulator restarts after a fault.
		out, err := em.run("t_exchange", launch1(1, 4, 16), []buf{{0, poison("f32", 4)}})
		require.NoError(t, err)
		assert.Equal(t, []float32{3, 2, 1, 0}, floats(out[0]))
	})
}
